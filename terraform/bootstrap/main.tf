# One-time, per-account bootstrap: the S3 state bucket (and its key) and the role GitHub Actions deploys with.
# State stays local on purpose: this stack creates the bucket a remote backend would need.

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project   = "books-cqrs"
      Stack     = "bootstrap"
      ManagedBy = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.region

  state_bucket_name = coalesce(var.state_bucket_name, "books-cqrs-tfstate-${local.account_id}-${local.region}")

  github_oidc_host  = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : var.github_oidc_provider_arn

  # The `sub` claims GitHub puts in a job's token; a job that names an `environment:` gets the environment one
  # instead of its ref (deploy.yml's jobs run in the staging/prod environments). pull_request jobs get their own,
  # narrower role (below): code from any branch with a pull request runs there.
  deploy_subjects = concat(
    [for branch in var.github_branches : "repo:${var.github_repository}:ref:refs/heads/${branch}"],
    var.github_tag_pattern == null ? [] : ["repo:${var.github_repository}:ref:refs/tags/${var.github_tag_pattern}"],
    [for environment in var.github_environments : "repo:${var.github_repository}:environment:${environment}"],
  )
  pull_request_subjects = var.allow_pull_requests ? ["repo:${var.github_repository}:pull_request"] : []
  github_subjects       = concat(local.deploy_subjects, local.pull_request_subjects)

  # Each role and what it may touch. Everything terraform/ creates is named <environment>-books-<thing>
  # (terraform/main.tf); preview environments are ENV=pr-<number> (.github/workflows/preview.yml).
  roles = merge(
    {
      deploy = {
        name         = var.deploy_role_name
        subjects     = local.deploy_subjects
        name_pattern = "*-books-*"
        alias        = "*-books"
        state_prefix = var.state_key_prefix
      }
    },
    var.allow_pull_requests ? {
      pull_request = {
        name         = var.pull_request_role_name
        subjects     = local.pull_request_subjects
        name_pattern = "pr-*-books-*"
        alias        = "pr-*-books"
        state_prefix = "${var.state_key_prefix}pr-"
      }
    } : {},
  )
  role_names = [for role in values(local.roles) : role.name]

  arn_region = "arn:${local.partition}:%s:${local.region}:${local.account_id}"
  lambda_arn = format(local.arn_region, "lambda")
  logs_arn   = format(local.arn_region, "logs")
  kms_arn    = format(local.arn_region, "kms")
  # terraform/'s provider tags every resource Project = books-cqrs (terraform/providers.tf, default_tags).
  project_tag = "books-cqrs"
}

################################################################################
# State bucket key
################################################################################

resource "aws_kms_key" "this" {
  description             = "books-cqrs Terraform state (bucket ${local.state_bucket_name})"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Access stays with the account's IAM policies (the default key policy); the deploy role gets use only.
        Sid       = "AccountIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  name          = "alias/books-cqrs-tfstate"
  target_key_id = aws_kms_key.this.key_id
}

################################################################################
# State bucket
################################################################################

resource "aws_s3_bucket" "this" {
  # checkov:skip=CKV_AWS_18:Access logs would need a second bucket per account; CloudTrail already records who changed the bucket.
  # checkov:skip=CKV_AWS_144:Cross-region replication doubles the bootstrap for a few KB of state that versioning already protects.
  # checkov:skip=CKV2_AWS_62:Nothing consumes events of state writes; notifications would have no subscriber.
  bucket = local.state_bucket_name

  # Not prevent_destroy: lifecycle arguments cannot come from a variable, and a hard-coded one would block the
  # integration test's destroy. A destroy fails anyway while the bucket holds objects (force_destroy is false):
  # delete every object version first, deliberately.
  force_destroy = false
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # A lifecycle rule on an unversioned bucket would expire nothing.
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # S3 refuses a bucket policy while the public access block is still being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# GitHub Actions OIDC provider (one per account; skip it when the account has one)
################################################################################

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_github_oidc_provider ? 1 : 0

  url             = "https://${local.github_oidc_host}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.github_oidc_thumbprints
}

################################################################################
# Deploy role: assumable only through GitHub's OIDC tokens for this repository
################################################################################

data "aws_iam_policy_document" "trust" {
  for_each = local.roles

  statement {
    sid     = "GitHubActionsOidc"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    # aws-actions/configure-aws-credentials asks GitHub for a token with this audience.
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    # StringLike: the tag subject carries a wildcard (v*); the others are literal.
    condition {
      test     = "StringLike"
      variable = "${local.github_oidc_host}:sub"
      values   = each.value.subjects
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.deploy_role_name
  description          = "GitHub Actions (${var.github_repository}) deploys books-cqrs environments"
  assume_role_policy   = data.aws_iam_policy_document.trust["deploy"].json
  max_session_duration = var.max_session_duration
}

resource "aws_iam_role" "pull_request" {
  count = var.allow_pull_requests ? 1 : 0

  name                 = var.pull_request_role_name
  description          = "GitHub Actions (${var.github_repository}) pull_request jobs deploy pr-* preview environments only"
  assume_role_policy   = data.aws_iam_policy_document.trust["pull_request"].json
  max_session_duration = var.max_session_duration
}

################################################################################
# Deploy role permissions: make docker-delivery, aws-deploy, aws-smoke and aws-destroy for <env>-books-*
################################################################################

data "aws_iam_policy_document" "deploy" {
  for_each = local.roles

  # ---- Terraform state (S3 backend with use_lockfile) -------------------------------------------------------------
  statement {
    sid       = "StateBucketList"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "StateObjectsAndLockFiles"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.this.arn}/${each.value.state_prefix}*"]
  }

  statement {
    sid       = "StateKeyUse"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.this.arn]
  }

  # ---- ECR: push (docker-delivery) and the repositories themselves ------------------------------------------------
  statement {
    # GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrRepositories"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchDeleteImage",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:CreateRepository",
      "ecr:DeleteLifecyclePolicy",
      "ecr:DeleteRepository",
      "ecr:DeleteRepositoryPolicy",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:GetDownloadUrlForLayer",
      "ecr:GetLifecyclePolicy",
      "ecr:GetRepositoryPolicy",
      "ecr:InitiateLayerUpload",
      "ecr:ListImages",
      "ecr:ListTagsForResource",
      "ecr:PutImage",
      "ecr:PutImageScanningConfiguration",
      "ecr:PutImageTagMutability",
      "ecr:PutLifecyclePolicy",
      "ecr:SetRepositoryPolicy", # Lambda adds its pull permission to the repository policy on CreateFunction
      "ecr:TagResource",
      "ecr:UntagResource",
      "ecr:UploadLayerPart",
    ]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/${each.value.name_pattern}"]
  }

  # ---- Lambda ------------------------------------------------------------------------------------------------------
  statement {
    sid = "LambdaFunctions"
    actions = [
      "lambda:AddPermission",
      "lambda:CreateFunction",
      "lambda:DeleteFunction",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConcurrency",
      "lambda:GetFunctionConfiguration",
      "lambda:GetPolicy",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:RemovePermission",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ]
    resources = ["${local.lambda_arn}:function:${each.value.name_pattern}"]
  }

  statement {
    # Mappings are addressed by a random UUID; the function they feed is the scope. Create has no resource.
    # Only these three actions take lambda:FunctionArn (Lambda's "Fine-tuning the Resources and Conditions"
    # table); GetEventSourceMapping takes none, so it cannot be here: a condition on an absent key is false.
    sid = "LambdaStreamMappings"
    actions = [
      "lambda:CreateEventSourceMapping",
      "lambda:DeleteEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
    ]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.lambda_arn}:function:${each.value.name_pattern}"]
    }
  }

  statement {
    # Reading a mapping (the provider's refresh of aws_lambda_event_source_mapping) is scoped by mapping ARN only.
    sid       = "LambdaReadStreamMappings"
    actions   = ["lambda:GetEventSourceMapping"]
    resources = ["${local.lambda_arn}:event-source-mapping:*"]
  }

  statement {
    # Tagging a mapping (default_tags) and listing mappings carry no function ARN to condition on.
    sid       = "LambdaStreamMappingTagsAndList"
    actions   = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
    resources = ["${local.lambda_arn}:event-source-mapping:*"]
  }

  statement {
    # ListEventSourceMappings has no resource-level permissions.
    sid       = "LambdaListStreamMappings"
    actions   = ["lambda:ListEventSourceMappings"]
    resources = ["*"]
  }

  # ---- IAM: the functions' execution roles ------------------------------------------------------------------------
  statement {
    sid = "FunctionRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${each.value.name_pattern}"]
  }

  statement {
    # terraform/modules/kms_key's data.aws_iam_session_context reads the role behind the session with iam:GetRole:
    # an assumed-role ARN carries no role path (hashicorp/terraform-provider-aws#19957). Reading only; the role's
    # changes stay denied (DenyChangingOwnRole).
    sid       = "ReadOwnRole"
    actions   = ["iam:GetRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${each.value.name}"]
  }

  statement {
    sid       = "PassFunctionRolesToLambda"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${each.value.name_pattern}"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  # ---- API Gateway v2 ----------------------------------------------------------------------------------------------
  statement {
    # HTTP APIs are addressed by generated ids (/apis/<id>/...), never by name: scope is this region's v2 APIs.
    sid     = "HttpApis"
    actions = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
    resources = [
      "arn:${local.partition}:apigateway:${local.region}::/apis",
      "arn:${local.partition}:apigateway:${local.region}::/apis/*",
      "arn:${local.partition}:apigateway:${local.region}::/tags/*",
    ]
  }

  # ---- DynamoDB ----------------------------------------------------------------------------------------------------
  statement {
    sid = "Tables"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeKinesisStreamingDestination",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${each.value.name_pattern}",
    ]
  }

  # ---- SQS ---------------------------------------------------------------------------------------------------------
  statement {
    sid = "Queues"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:${each.value.name_pattern}"]
  }

  # ---- CloudWatch Logs ---------------------------------------------------------------------------------------------
  statement {
    # Function log groups and the API's access-log group; the smoke tests read both.
    sid = "LogGroups"
    actions = [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DeleteRetentionPolicy",
      "logs:DescribeLogStreams",
      "logs:DisassociateKmsKey",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
      "logs:UntagLogGroup",
      "logs:UntagResource",
    ]
    resources = [
      "${local.logs_arn}:log-group:/aws/lambda/${each.value.name_pattern}",
      "${local.logs_arn}:log-group:/aws/apigateway/${each.value.name_pattern}",
    ]
  }

  statement {
    # DescribeLogGroups lists the account's groups: it authorizes against log-group:*, never a single name.
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["${local.logs_arn}:log-group:*"]
  }

  statement {
    # HTTP API access logging goes through CloudWatch log deliveries, which have no resource-level permissions.
    sid = "HttpApiAccessLogDelivery"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  # ---- KMS: one customer-managed key per environment --------------------------------------------------------------
  statement {
    # ListAliases has no resource-level permissions and carries no tags: it must stand alone, unconditioned
    # (the provider lists aliases to read every aws_kms_alias).
    sid       = "ListKeyAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }

  statement {
    # A key has no ARN before it exists, so CreateKey cannot be scoped by resource; it must carry the project tag.
    # Using and managing the key is granted by its key policy, which names the role that created it
    # (terraform/modules/kms_key): effective at once, where a tag-based grant can take up to 5 minutes.
    sid       = "CreateTaggedKeys"
    actions   = ["kms:CreateKey"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Project"
      values   = [local.project_tag]
    }
  }

  statement {
    # Tagging at CreateKey needs kms:TagResource on every key of the account and region (KMS's rule), so it is
    # limited to terraform/'s default tags with the project's value. No statement here grants anything by tag, so
    # tagging some other key with Project=books-cqrs gives this role no access to it.
    sid       = "TagKeysAtCreation"
    actions   = ["kms:TagResource"]
    resources = ["${local.kms_arn}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Project"
      values   = [local.project_tag]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["Project", "Environment", "ManagedBy"]
    }
  }

  statement {
    # An alias operation is authorized on the alias as well as on the key (the key's policy grants the key side).
    sid       = "ProjectKeyAliases"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.kms_arn}:alias/${each.value.alias}"]
  }

  # ---- Guard rails: the bootstrap's own resources stay out of reach ------------------------------------------------
  statement {
    # The role may only use the state key, never manage or delete it.
    sid         = "DenyStateKeyManagement"
    effect      = "Deny"
    not_actions = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources   = [aws_kms_key.this.arn]
  }

  statement {
    sid       = "DenyStateBucketConfiguration"
    effect    = "Deny"
    actions   = ["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucket*", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "DenyChangingOwnRole"
    effect    = "Deny"
    actions   = ["iam:Attach*", "iam:Delete*", "iam:Detach*", "iam:Put*", "iam:Tag*", "iam:Untag*", "iam:Update*"]
    resources = [for name in local.role_names : "arn:${local.partition}:iam::${local.account_id}:role/${name}"]
  }

  dynamic "statement" {
    # HTTP APIs are addressed by id, so the name pattern cannot fence them: the preview role may not change an API
    # tagged for another environment (terraform/'s default tags put Environment on every API).
    for_each = each.key == "pull_request" ? [1] : []

    content {
      sid       = "DenyOtherEnvironmentsApis"
      effect    = "Deny"
      actions   = ["apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
      resources = ["arn:${local.partition}:apigateway:${local.region}::/apis/*", "arn:${local.partition}:apigateway:${local.region}::/tags/*"]

      condition {
        test     = "Null"
        variable = "aws:ResourceTag/Environment"
        values   = ["false"]
      }

      condition {
        test     = "StringNotLike"
        variable = "aws:ResourceTag/Environment"
        values   = ["pr-*"]
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "deploy-books-environments"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.deploy["deploy"].json
}

resource "aws_iam_role_policy" "pull_request" {
  count = var.allow_pull_requests ? 1 : 0

  name   = "deploy-books-preview-environments"
  role   = aws_iam_role.pull_request[0].id
  policy = data.aws_iam_policy_document.deploy["pull_request"].json
}
