################################################################################
# Event source mapping: stream -> function, failures reported per item
################################################################################

resource "aws_lambda_event_source_mapping" "this" {
  function_name     = var.function_name
  event_source_arn  = var.event_source_arn
  starting_position = var.starting_position
  batch_size        = var.batch_size

  # The handler returns batchItemFailures; retries restart at the first failed record, not the whole batch.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = var.maximum_retry_attempts
  maximum_record_age_in_seconds  = var.maximum_record_age_in_seconds

  # Lambda sends the destination only metadata (shard id, first and last sequence numbers), not the records:
  # recover a discarded batch by re-reading the stream (24 h retention) or with `make rebuild-read-model`.
  destination_config {
    on_failure {
      destination_arn = var.on_failure_destination_arn
    }
  }
}
