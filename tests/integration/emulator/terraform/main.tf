################################################################################
# Functions: one image function per conformance handler (tests/functions/conformance/handlers.py)
################################################################################

locals {
  zero_digest = "sha256:${join("", [for _ in range(64) : "0"])}"

  # key => handler, function timeout (s) and reserved concurrency (absent: unreserved). "sleep" dies by its
  # own timeout; "slow" by the integration's.
  functions = {
    echo            = { handler = "echo", timeout = 10 }
    respond-with    = { handler = "respond_with", timeout = 10 }
    crash           = { handler = "crash", timeout = 10 }
    exit            = { handler = "exit_runtime", timeout = 10 }
    sleep           = { handler = "sleep", timeout = 2 }
    slow            = { handler = "sleep", timeout = 20 }
    log             = { handler = "log", timeout = 10 }
    stream-consumer = { handler = "stream_consumer", timeout = 10 }
    unpermitted     = { handler = "echo", timeout = 10 }
    reserved-one    = { handler = "sleep", timeout = 20, reserved = 1 }
    reserved-zero   = { handler = "echo", timeout = 10, reserved = 0 }
  }

  # route key => function, authorization, integration timeout and payload format (default 2.0). Precedence
  # routes follow AWS's example in http-api-develop-routes ("Routing API requests").
  routes = {
    "GET /pets/dog/1"    = { fn = "echo" }
    "GET /pets/dog/{id}" = { fn = "echo" }
    "GET /pets/dog"      = { fn = "echo" }
    "GET /pets/{name}"   = { fn = "echo" }
    "GET /pets/{proxy+}" = { fn = "echo" }
    "ANY /pets/{name}/x" = { fn = "echo" }
    "ANY /{proxy+}"      = { fn = "echo" }
    "ANY /things"        = { fn = "echo" }
    "$default"           = { fn = "echo" }
    "GET /private"       = { fn = "echo", jwt = true }
    "POST /private"      = { fn = "echo", jwt = true, scopes = [var.write_scope] }
    "POST /respond"      = { fn = "respond-with" }
    "GET /crash"         = { fn = "crash" }
    "GET /exit"          = { fn = "exit" }
    "GET /sleep"         = { fn = "sleep" }
    "GET /slow"          = { fn = "slow", timeout_ms = 1000 }
    "GET /log"           = { fn = "log" }
    "GET /unpermitted"   = { fn = "unpermitted" }
    "GET /throttled"     = { fn = "echo" }
    "GET /v1/pets/{id}"  = { fn = "echo", payload = "1.0" }
    "POST /v1/respond"   = { fn = "respond-with", payload = "1.0" }
    "GET /v1/{proxy+}"   = { fn = "echo", payload = "1.0" }
    "GET /reserved/slow" = { fn = "reserved-one" }
    "GET /reserved/zero" = { fn = "reserved-zero" }
  }

  # Every function but "unpermitted" (the missing-permission case) may be invoked by the API.
  permitted = { for k, v in local.functions : k => v if k != "unpermitted" && k != "stream-consumer" }
}

resource "aws_ecr_repository" "this" {
  for_each = local.functions

  name                 = "${var.prefix}-${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.prefix}-functions"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_cloudwatch_log_group" "functions" {
  for_each = local.functions

  name              = "/aws/lambda/${var.prefix}-${each.key}"
  retention_in_days = 1
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  function_name = "${var.prefix}-${each.key}"
  role          = aws_iam_role.this.arn
  package_type  = "Image"
  image_uri     = "${aws_ecr_repository.this[each.key].repository_url}@${local.zero_digest}"
  timeout       = each.value.timeout
  memory_size   = 256

  reserved_concurrent_executions = try(each.value.reserved, -1)

  image_config {
    command = ["conformance.handlers.${each.value.handler}"]
  }

  environment {
    variables = {
      RECORDS_TABLE = aws_dynamodb_table.records.name
    }
  }

  depends_on = [aws_cloudwatch_log_group.functions]
}

################################################################################
# HTTP API with a JWT authorizer, every route, a logged and throttled $default stage
################################################################################

resource "aws_apigatewayv2_api" "this" {
  name          = "${var.prefix}-api"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_authorizer" "this" {
  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.prefix}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = [var.jwt_audience]
  }
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = local.routes

  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this[each.value.fn].invoke_arn
  payload_format_version = try(each.value.payload, "2.0")
  timeout_milliseconds   = try(each.value.timeout_ms, 30000)
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.routes

  api_id               = aws_apigatewayv2_api.this.id
  route_key            = each.key
  target               = "integrations/${aws_apigatewayv2_integration.this[each.key].id}"
  authorization_type   = try(each.value.jwt, false) ? "JWT" : "NONE"
  authorizer_id        = try(each.value.jwt, false) ? aws_apigatewayv2_authorizer.this.id : null
  authorization_scopes = try(each.value.scopes, null)
}

resource "aws_lambda_permission" "this" {
  for_each = local.permitted

  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.prefix}-api"
  retention_in_days = 1
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      httpMethod     = "$context.httpMethod"
      path           = "$context.path"
      protocol       = "$context.protocol"
      responseLength = "$context.responseLength"
      requestTime    = "$context.requestTime"
    })
  }

  default_route_settings {
    throttling_burst_limit = 500
    throttling_rate_limit  = 1000
  }

  route_settings {
    route_key              = "GET /throttled"
    throttling_burst_limit = 1
    throttling_rate_limit  = 1
  }

  depends_on = [aws_apigatewayv2_route.this]
}

################################################################################
# DynamoDB stream -> stream consumer, with partial batch failures, bisect, retries and an SQS DLQ
################################################################################

resource "aws_dynamodb_table" "source" {
  name             = "${var.prefix}-source"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "id"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_dynamodb_table" "records" {
  name         = "${var.prefix}-records"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }
}

resource "aws_sqs_queue" "dlq" {
  name = "${var.prefix}-stream-dlq"
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn               = aws_dynamodb_table.source.stream_arn
  function_name                  = aws_lambda_function.this["stream-consumer"].arn
  starting_position              = "TRIM_HORIZON"
  batch_size                     = 10
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 2

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.dlq.arn
    }
  }
}
