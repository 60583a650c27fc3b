# One resource whose create calls an operation moto 5.2.5 does not implement (SetSecurityTokenServicePreferences).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_security_token_service_preferences" "this" {
  global_endpoint_token_version = "v2Token"
}
