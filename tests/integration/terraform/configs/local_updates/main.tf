# The resources whose in-place updates moto 5.2.5 got wrong, built from the project's http_api module
# (copied next to this file by the test): a stage, a JWT route, and a table with a GSI.

terraform {
  required_version = ">= 1.5.0"

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

variable "name" {
  type = string
}

variable "throttling_rate_limit" {
  type = number
}

variable "route_authorization" {
  type = string
}

variable "billing_mode" {
  type = string
}

locals {
  capacity = var.billing_mode == "PROVISIONED" ? 5 : null
}

resource "aws_iam_role" "fn" {
  name = "${var.name}-fn"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "fn" {
  function_name = "${var.name}-fn"
  role          = aws_iam_role.fn.arn
  package_type  = "Image"
  image_uri     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/${var.name}@sha256:${join("", [for _ in range(64) : "a"])}"

  # Without one, moto reads back an ImageConfig of empty lists and the plan never settles (not our patch).
  image_config {
    command = ["app.handler"]
  }
}

module "http_api" {
  source = "./modules/http_api"

  name         = "${var.name}-api"
  jwt_issuer   = "https://issuer.${var.name}.example"
  jwt_audience = ["aud"]

  integrations = {
    fn = { function_name = aws_lambda_function.fn.function_name, invoke_arn = aws_lambda_function.fn.invoke_arn }
  }
  routes = {
    "POST /books" = {
      integration          = "fn"
      authorization_type   = var.route_authorization
      authorization_scopes = var.route_authorization == "JWT" ? ["books:write"] : []
    }
  }

  log_retention_days     = 7
  throttling_burst_limit = 40
  throttling_rate_limit  = var.throttling_rate_limit
}

resource "aws_dynamodb_table" "this" {
  name           = "${var.name}-table"
  billing_mode   = var.billing_mode
  hash_key       = "pk"
  read_capacity  = local.capacity
  write_capacity = local.capacity

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "title"
    type = "S"
  }

  global_secondary_index {
    name            = "by_title"
    hash_key        = "title"
    projection_type = "ALL"
    read_capacity   = local.capacity
    write_capacity  = local.capacity
  }
}

output "api_id" {
  value = module.http_api.api_id
}
