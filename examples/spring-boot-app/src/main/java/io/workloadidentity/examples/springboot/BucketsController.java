package io.workloadidentity.examples.springboot;

import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/** {@code GET /buckets}: an ordinary S3 call, signed with the pod's workload identity. */
@RestController
public class BucketsController {
  private final S3Client s3;

  /**
   * The controller.
   *
   * @param s3 the S3 client
   */
  public BucketsController(S3Client s3) {
    this.s3 = s3;
  }

  /**
   * The buckets this pod's role can see.
   *
   * @return their names
   */
  @GetMapping("/buckets")
  public List<String> buckets() {
    return s3.listBuckets().buckets().stream().map(Bucket::name).toList();
  }
}
