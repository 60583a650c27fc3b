################################################################################
# Inputs of the IAM conformance fixture: one function whose role the tests rewrite
################################################################################

variable "region" {
  description = "AWS region of every resource."
  type        = string
  default     = "us-east-1"
}

variable "prefix" {
  description = "Name prefix of the function, its ECR repository and tables (the code map matches <prefix>-*)."
  type        = string
  default     = "iamconf"
}

variable "statements" {
  description = "Statements of the function role's inline policy, besides writing its own logs."
  type = list(object({
    effect    = string
    actions   = list(string)
    resources = list(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.statements : contains(["Allow", "Deny"], s.effect)])
    error_message = "Each statement's effect must be Allow or Deny."
  }
}

variable "trusted_service" {
  description = "Service principal the role's trust policy names (Lambda needs lambda.amazonaws.com)."
  type        = string
  default     = "lambda.amazonaws.com"
}
