variable "region" {
  description = "Region of the state bucket and of the deployments the role makes (IAM and the OIDC provider are global)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1 or eu-west-1."
  }
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket; null derives books-cqrs-tfstate-<account id>-<region> (bucket names are global)."
  type        = string
  default     = null

  validation {
    condition = var.state_bucket_name == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
      && !can(regex("\\.\\.|^xn--|^sthree-|-s3alias$|--ol-s3$|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.state_bucket_name))
    )
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit."
  }
}

variable "state_key_prefix" {
  description = "Key prefix under which the deploy role may read and write state (make aws-deploy uses books-cqrs/<ENV>/terraform.tfstate)."
  type        = string
  default     = "books-cqrs/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.state_key_prefix))
    error_message = "state_key_prefix must be a relative key prefix ending in '/', e.g. books-cqrs/."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which a superseded state version is deleted (the current version is kept forever)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the state key is deleted after a destroy (7 to 30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "github_repository" {
  description = "The GitHub repository (owner/repo) whose workflows may assume the deploy role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/repo, e.g. my-org/books-cqrs (no URL, no .git suffix needed)."
  }
}

variable "github_branches" {
  description = "Branches whose workflow jobs (without a GitHub environment) may assume the role: sub repo:<repo>:ref:refs/heads/<branch>."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = alltrue([for b in var.github_branches : can(regex("^[^\\s*?:]+$", b))])
    error_message = "github_branches must be plain branch names (no wildcards, spaces or ':')."
  }
}

variable "github_tag_pattern" {
  description = "Tag pattern (IAM StringLike wildcards) whose workflow jobs may assume the role: sub repo:<repo>:ref:refs/tags/<pattern>; null allows no tag."
  type        = string
  default     = "v*"
}

variable "allow_pull_requests" {
  description = "Whether to create the preview role that pull_request workflows assume (sub repo:<repo>:pull_request); it may touch pr-* environments only."
  type        = bool
  default     = true
}

variable "github_environments" {
  description = "GitHub environments whose jobs may assume the role: sub repo:<repo>:environment:<name> (a job with `environment:` gets this sub instead of the ref one)."
  type        = list(string)
  default     = ["staging", "prod"]

  validation {
    condition     = alltrue([for e in var.github_environments : can(regex("^[^\\s*?:]+$", e))])
    error_message = "github_environments must be plain environment names (no wildcards, spaces or ':')."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's IAM OIDC provider for GitHub Actions; false when the account already has one (pass its ARN as github_oidc_provider_arn)."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider; used only when create_github_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.github_oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.github_oidc_provider_arn))
    error_message = "github_oidc_provider_arn must be arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com."
  }

  validation {
    condition     = var.create_github_oidc_provider || var.github_oidc_provider_arn != null
    error_message = "github_oidc_provider_arn is required when create_github_oidc_provider is false."
  }
}

variable "github_oidc_thumbprints" {
  description = "Certificate thumbprints recorded on the OIDC provider. IAM verifies GitHub through its own trusted CAs and ignores them, but older tooling expects the published ones."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]

  validation {
    condition     = length(var.github_oidc_thumbprints) <= 5 && alltrue([for t in var.github_oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "github_oidc_thumbprints must be at most 5 lowercase 40-hex-digit SHA-1 thumbprints."
  }
}

variable "deploy_role_name" {
  description = "Name of the role GitHub Actions assumes (vars.AWS_DEPLOY_ROLE_ARN); it must not match the *-books-* names the role itself manages."
  type        = string
  default     = "books-cqrs-github-deploy"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.deploy_role_name)) && !can(regex("-books-", var.deploy_role_name))
    error_message = "deploy_role_name must be a valid IAM role name (1-64 of A-Za-z0-9+=,.@_-) that does not contain '-books-'."
  }
}

variable "pull_request_role_name" {
  description = "Name of the role pull_request workflows assume (vars.AWS_PREVIEW_ROLE_ARN); like deploy_role_name it must not contain '-books-'."
  type        = string
  default     = "books-cqrs-github-preview"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.pull_request_role_name)) && !can(regex("-books-", var.pull_request_role_name))
    error_message = "pull_request_role_name must be a valid IAM role name (1-64 of A-Za-z0-9+=,.@_-) that does not contain '-books-'."
  }
}

variable "max_session_duration" {
  description = "Longest session the deploy role grants, in seconds (3600 to 43200); the workflows run up to 45 minutes."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags added to every resource of the bootstrap stack."
  type        = map(string)
  default     = {}
}
