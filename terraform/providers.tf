# Deliberately bare: a local apply differs from an AWS apply only by endpoints and credentials, which come
# from the environment (AWS_ENDPOINT_URL + test keys) or from tflocal's generated override file.
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "books-cqrs"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
