output "api_url" {
  description = "Base URL of the HTTP API ($default stage, no trailing slash)."
  value       = module.http_api.api_endpoint
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.http_api.api_id
}

output "function_names" {
  description = "Function name per function: command, query, projector."
  value       = { for name, function in module.function : name => function.function_name }
}

output "table_names" {
  description = "Table names: event_store and read_model."
  value = {
    event_store = module.event_store.name
    read_model  = module.read_model.name
  }
}

output "repository_urls" {
  description = "ECR repository URL per function."
  value       = { for name, repository in module.ecr : name => repository.repository_url }
}

output "dead_letter_queue_url" {
  description = "URL of the SQS queue that receives stream records the projector could not handle."
  value       = module.projector_dlq.url
}

output "access_log_group_name" {
  description = "Log group of the API's JSON access logs."
  value       = module.http_api.access_log_group_name
}
