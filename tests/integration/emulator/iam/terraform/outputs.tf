output "api_id" {
  description = "Id of the HTTP API (requests select it with Host: <id>.execute-api.localhost)."
  value       = aws_apigatewayv2_api.this.id
}

output "function_name" {
  description = "Name of the function whose role the tests rewrite."
  value       = aws_lambda_function.this.function_name
}

output "table_arns" {
  description = "Map of table key (books, other) to ARN."
  value       = { for k, t in aws_dynamodb_table.this : k => t.arn }
}
