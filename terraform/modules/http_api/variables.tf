variable "name" {
  description = "Name of the API; also names the authorizer and the access-log group /aws/apigateway/<name>."
  type        = string
}

variable "description" {
  description = "Description of the API."
  type        = string
  default     = ""
}

variable "jwt_issuer" {
  description = "Issuer URL of the JWT authorizer (the iss claim; its OIDC discovery document must be reachable)."
  type        = string
}

variable "jwt_audience" {
  description = "Accepted audiences (aud claim) of the JWT authorizer."
  type        = list(string)
}

variable "integrations" {
  description = "Lambda proxy integrations (payload format 2.0) keyed by a short name that routes refer to."
  type = map(object({
    function_name        = string
    invoke_arn           = string
    timeout_milliseconds = optional(number, 30000)
  }))
}

variable "routes" {
  description = "Routes keyed by route key (\"GET /v1/catalog/books/{id}\"): the integration key and the authorization (NONE or JWT with scopes)."
  type = map(object({
    integration          = string
    authorization_type   = optional(string, "NONE")
    authorization_scopes = optional(list(string), [])
  }))

  validation {
    condition     = alltrue([for route in values(var.routes) : contains(["NONE", "JWT"], route.authorization_type)])
    error_message = "Every route's authorization_type must be NONE or JWT."
  }

  validation {
    condition     = alltrue([for key in keys(var.routes) : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /", key)) || key == "$default"])
    error_message = "Route keys must look like \"METHOD /path\" or be $default."
  }
}

variable "access_log_format" {
  description = "Fields of the JSON access-log line: field name => $context variable."
  type        = map(string)
  default = {
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    path               = "$context.path"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationLatency = "$context.integrationLatency"
    integrationError   = "$context.integrationErrorMessage"
    authorizerError    = "$context.authorizer.error"
  }
}

variable "log_retention_days" {
  description = "Retention of the access-log group, in days."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key of the access-log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "throttling_burst_limit" {
  description = "Default burst limit of every route of the $default stage."
  type        = number
  default     = 100
}

variable "throttling_rate_limit" {
  description = "Default steady-state requests per second of every route of the $default stage."
  type        = number
  default     = 50
}

variable "tags" {
  description = "Tags added to every taggable resource of the module."
  type        = map(string)
  default     = {}
}
