################################################################################
# Two tables: the one the role is meant to read, and one it is not
################################################################################

resource "aws_dynamodb_table" "this" {
  for_each = toset(["books", "other"])

  name         = "${var.prefix}-${each.key}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

################################################################################
# The function's execution role: trust policy and inline policy from the variables
################################################################################

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [var.trusted_service]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.prefix}-reader"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.prefix}-reader"
  retention_in_days = 1
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.statements

    content {
      sid       = "Case${statement.key}"
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.prefix}-reader"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

################################################################################
# The function (code from tests/functions through the emulator's code map) and its route
################################################################################

resource "aws_ecr_repository" "this" {
  name                 = "${var.prefix}-reader"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
}

resource "aws_lambda_function" "this" {
  function_name = "${var.prefix}-reader"
  role          = aws_iam_role.this.arn
  package_type  = "Image"
  image_uri     = "${aws_ecr_repository.this.repository_url}@sha256:${join("", [for _ in range(64) : "0"])}"
  timeout       = 10

  image_config {
    command = ["conformance.handlers.read_item"]
  }

  environment {
    variables = { TABLE_NAME = aws_dynamodb_table.this["books"].name }
  }

  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

resource "aws_apigatewayv2_api" "this" {
  name          = "${var.prefix}-api"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "this" {
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "GET /read"
  target    = "integrations/${aws_apigatewayv2_integration.this.id}"
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  depends_on = [aws_apigatewayv2_route.this]
}
