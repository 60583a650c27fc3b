################################################################################
# Log group (created before the function, so Lambda never creates it untracked)
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Execution role: one per function, only the statements the caller grants
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_region" "current" {}

resource "aws_iam_role" "this" {
  # IAM names are account-wide, function names only regional: the region keeps the same environment
  # deployable in two regions of one account. <env> (24) + "-books-projector" + "-" + region stays within 64.
  name               = "${var.function_name}-${data.aws_region.current.name}"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    # X-Ray trace submission has no resource-level permissions: "*" is the only valid resource.
    for_each = var.tracing_mode == "Active" ? [1] : []

    content {
      sid       = "SendTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    # The environment variables are encrypted with the caller's key.
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptEnvironment"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = var.function_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

################################################################################
# Function (container image, pinned by digest)
################################################################################

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_272:Lambda code signing covers .zip packages only; images are pinned by digest instead.
  # checkov:skip=CKV_AWS_116:Invoked synchronously (API) or by a stream mapping with its own on-failure DLQ; a function DLQ serves async invokes only.
  # checkov:skip=CKV_AWS_117:The functions reach only DynamoDB and SQS public endpoints; a VPC would add NAT/endpoints and no isolation.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is carved out of the account pool (10 on new accounts); the API stage throttles instead.
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  package_type  = "Image"
  image_uri     = var.image_uri
  architectures = var.architectures
  timeout       = var.timeout
  memory_size   = var.memory_size
  kms_key_arn   = var.kms_key_arn

  image_config {
    command = var.command
  }

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  # The role's policy must exist before the first invocation, and the log group before the first log line.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}
