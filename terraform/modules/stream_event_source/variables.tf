variable "function_name" {
  description = "Name or ARN of the function that consumes the stream."
  type        = string
}

variable "event_source_arn" {
  description = "ARN of the DynamoDB stream."
  type        = string
}

variable "on_failure_destination_arn" {
  description = "ARN of the SQS queue (or SNS topic) that receives an invocation record (shard, sequence-number range) for each batch that exhausted its retries; the stream records themselves are not sent."
  type        = string
}

variable "starting_position" {
  description = "Where a new mapping starts reading: TRIM_HORIZON or LATEST."
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "batch_size" {
  description = "Largest number of records in one invocation (1 to 10000)."
  type        = number
  default     = 100

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing batch before its records go to the on-failure destination (0 to 10000)."
  type        = number
  default     = 5

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be between 0 and 10000 (bounded; -1 would retry forever)."
  }
}

variable "maximum_record_age_in_seconds" {
  description = "Records older than this go to the on-failure destination (60 to 604800)."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_record_age_in_seconds >= 60 && var.maximum_record_age_in_seconds <= 604800
    error_message = "maximum_record_age_in_seconds must be between 60 and 604800."
  }
}
