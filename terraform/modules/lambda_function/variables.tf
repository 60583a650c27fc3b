variable "function_name" {
  description = "Name of the function; also names its role and its log group /aws/lambda/<name>."
  type        = string
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "image_uri" {
  description = "Container image pinned by digest: <repository_url>@sha256:<64 hex>."
  type        = string

  validation {
    condition     = can(regex("^[^@]+@sha256:[0-9a-f]{64}$", var.image_uri))
    error_message = "image_uri must be <repository_url>@sha256:<64 lowercase hex>."
  }
}

variable "command" {
  description = "Image CMD override: the handler, e.g. [\"books.entrypoints.query.handler\"]."
  type        = list(string)
}

variable "architectures" {
  description = "Instruction set of the image."
  type        = list(string)
  default     = ["x86_64"]
}

variable "timeout" {
  description = "Timeout of one invocation, in seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "memory_size" {
  description = "Memory of the function, in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "environment_variables" {
  description = "Environment of the function (table names, log level); never secrets."
  type        = map(string)
  default     = {}
}

variable "policy_statements" {
  description = "Extra IAM statements of the execution role, keyed by Sid (alphanumeric)."
  type = map(object({
    actions   = list(string)
    resources = list(string)
  }))
  default = {}
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 365
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the environment variables and the log group; null uses AWS-owned keys."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
