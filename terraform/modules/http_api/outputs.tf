output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the API (the $default stage serves at the root)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "Execution ARN of the API, for Lambda permissions."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_invoke_url" {
  description = "Invoke URL of the $default stage."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "authorizer_id" {
  description = "ID of the JWT authorizer."
  value       = aws_apigatewayv2_authorizer.this.id
}

output "route_ids" {
  description = "Route IDs keyed by route key."
  value       = { for key, route in aws_apigatewayv2_route.this : key => route.id }
}

output "integration_ids" {
  description = "Integration IDs keyed by integration name."
  value       = { for key, integration in aws_apigatewayv2_integration.this : key => integration.id }
}

output "access_log_group_name" {
  description = "Name of the access-log group."
  value       = aws_cloudwatch_log_group.this.name
}
