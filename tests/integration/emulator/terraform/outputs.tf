output "api_id" {
  description = "Id of the HTTP API (requests select it with Host: <id>.execute-api.localhost)."
  value       = aws_apigatewayv2_api.this.id
}

output "function_names" {
  description = "Map of function key to function name."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "access_log_group" {
  description = "Log group of the stage's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "source_table" {
  description = "Table whose stream feeds the stream consumer."
  value       = aws_dynamodb_table.source.name
}

output "records_table" {
  description = "Table where the stream consumer records each delivery."
  value       = aws_dynamodb_table.records.name
}

output "dead_letter_queue_url" {
  description = "SQS on-failure destination of the event source mapping."
  value       = aws_sqs_queue.dlq.url
}

output "event_source_mapping_uuid" {
  description = "UUID of the stream's event source mapping."
  value       = aws_lambda_event_source_mapping.this.uuid
}
