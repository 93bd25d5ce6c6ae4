/**
 * Implementation of the starter: conditions, the Spring-to-library environment, the health state
 * fed by listener events. Not API: it may change in any release.
 */
package io.workloadidentity.spring.boot.internal;
