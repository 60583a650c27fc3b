variable "name" {
  description = "Name of the queue."
  type        = string
}

variable "message_retention_seconds" {
  description = "How long the queue keeps a message, in seconds (60 to 1209600)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key; null uses SQS-managed server-side encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to the queue."
  type        = map(string)
  default     = {}
}
