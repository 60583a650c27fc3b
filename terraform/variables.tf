################################################################################
# Naming and placement
################################################################################

variable "environment" {
  description = "Name prefix of every resource (<environment>-books-...), so several environments share one account."
  type        = string
  default     = "local"

  validation {
    # The longest derived name, the IAM role "<env>-books-projector-<region>", must stay within 64 characters:
    # 24 + 16 + 1 + at most 15 for a region code.
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.environment))
    error_message = "environment must be 1-24 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of every resource."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1."
  }
}

################################################################################
# Authorization
################################################################################

variable "jwt_issuer" {
  description = "Issuer (iss) the JWT authorizer accepts, exactly as the IdP writes it (Auth0 and others end it with /); API Gateway fetches its OIDC discovery document."
  type        = string

  validation {
    # The token's iss must equal this string, so a trailing slash is kept, never stripped. https only, except
    # a loopback issuer (the local stack's mock_idp); devstack/issuer.py holds the same pattern (parity test).
    condition     = can(regex("^(https://[^\\s/?#]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?)(/[^\\s?#]*)?$", var.jwt_issuer))
    error_message = "jwt_issuer must be an https URL with no query or fragment, e.g. https://idp.example.com or https://tenant.auth0.com/ (plain http only for 127.0.0.1, localhost or [::1])."
  }
}

variable "jwt_audience" {
  description = "Audience (aud) the JWT authorizer accepts."
  type        = string
  default     = "books-api"

  validation {
    condition     = length(trimspace(var.jwt_audience)) > 0
    error_message = "jwt_audience must not be empty."
  }
}

variable "write_scope" {
  description = "OAuth scope required by every write route (POST, PUT, PATCH, DELETE)."
  type        = string
  default     = "books:write"

  validation {
    condition     = can(regex("^[!#-\\[\\]-~]+$", var.write_scope))
    error_message = "write_scope must be one OAuth scope token (printable ASCII, no spaces, quotes or backslashes)."
  }
}

################################################################################
# Functions
################################################################################

variable "image_digests" {
  description = "Image digest per function (sha256:<64 hex>); each function runs <repository_url>@<digest>."
  type = object({
    command   = string
    query     = string
    projector = string
  })

  validation {
    condition     = alltrue([for digest in values(var.image_digests) : can(regex("^sha256:[0-9a-f]{64}$", digest))])
    error_message = "Every image digest must be sha256:<64 lowercase hex characters>."
  }
}

variable "function_settings" {
  description = "Per-function overrides of timeout (seconds) and memory (MB), keyed by command, query or projector."
  type = map(object({
    timeout     = optional(number)
    memory_size = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.function_settings) : contains(["command", "query", "projector"], name)])
    error_message = "function_settings keys must be command, query or projector."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "ecr_keep_last_images" {
  description = "How many untagged images each ECR repository keeps; older untagged ones expire (tagged images, which the functions run, never do)."
  type        = number
  default     = 10

  validation {
    condition     = var.ecr_keep_last_images >= 1 && floor(var.ecr_keep_last_images) == var.ecr_keep_last_images
    error_message = "ecr_keep_last_images must be a whole number of at least 1."
  }
}

################################################################################
# Logs and throttling
################################################################################

variable "log_retention_days" {
  description = "Retention of the functions' and the API's log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "throttling_burst_limit" {
  description = "Default burst limit (requests) of every route of the $default stage."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of at least 0."
  }
}

variable "throttling_rate_limit" {
  description = "Default steady-state rate (requests per second) of every route of the $default stage."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be at least 0."
  }
}
