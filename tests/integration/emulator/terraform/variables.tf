################################################################################
# Inputs of the emulator conformance fixture (standalone: no product modules)
################################################################################

variable "region" {
  description = "AWS region of every resource."
  type        = string
  default     = "us-east-1"
}

variable "prefix" {
  description = "Name prefix of functions, ECR repositories and tables (the code map matches <prefix>-*)."
  type        = string
  default     = "conformance"
}

variable "jwt_issuer" {
  description = "Issuer URL the JWT authorizer trusts (a mock_idp started by the test session)."
  type        = string
}

variable "jwt_audience" {
  description = "Audience the JWT authorizer requires."
  type        = string
  default     = "books-api"
}

variable "write_scope" {
  description = "Scope the scoped route requires."
  type        = string
  default     = "books:write"
}
