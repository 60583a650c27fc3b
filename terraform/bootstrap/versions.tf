terraform {
  # 1.10: the S3 backend's native lock file (use_lockfile), which the backend_config output switches on.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}
