################################################################################
# Names and per-function settings
################################################################################

locals {
  name_prefix = "${var.environment}-books"

  function_defaults = {
    command   = { timeout = 10, memory_size = 256 }
    query     = { timeout = 10, memory_size = 256 }
    projector = { timeout = 30, memory_size = 256 }
  }

  functions = {
    for name, defaults in local.function_defaults : name => {
      function_name = "${local.name_prefix}-${name}"
      timeout       = coalesce(try(var.function_settings[name].timeout, null), defaults.timeout)
      memory_size   = coalesce(try(var.function_settings[name].memory_size, null), defaults.memory_size)
    }
  }

  function_environment = {
    command   = { EVENT_STORE_TABLE = module.event_store.name }
    query     = { READ_MODEL_TABLE = module.read_model.name }
    projector = { READ_MODEL_TABLE = module.read_model.name }
  }

  # Least privilege per function: what each one calls, as `python -m emulator iam-report` lists it after the
  # e2e suite under IAM_MODE=enforce. Claims and idempotency records are items of the event-store table; a
  # TransactWriteItems is authorized per item as PutItem or DeleteItem.
  function_policy_statements = {
    command = {
      AppendEventsAndClaims = {
        actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
        resources = [module.event_store.arn]
      }
    }
    query = {
      ReadReadModel = {
        actions   = ["dynamodb:GetItem"]
        resources = [module.read_model.arn]
      }
      ListByTitle = {
        actions   = ["dynamodb:Query"]
        resources = ["${module.read_model.arn}/index/by_title"]
      }
    }
    projector = {
      # The four Lambda's DynamoDB event source mapping needs (lambda/latest/dg/with-ddb.html); the local
      # poller calls the first three, and ListStreams is what AWS's mapping validation names too.
      ReadEventStream = {
        actions = [
          "dynamodb:DescribeStream",
          "dynamodb:GetRecords",
          "dynamodb:GetShardIterator",
          "dynamodb:ListStreams",
        ]
        resources = [module.event_store.stream_arn]
      }
      # Versioned upserts and tombstones are both conditional PutItems (services/books/adapters/read_model.py).
      WriteReadModel = {
        actions   = ["dynamodb:PutItem"]
        resources = [module.read_model.arn]
      }
      SendFailedRecordsToDlq = {
        actions   = ["sqs:SendMessage"]
        resources = [module.projector_dlq.arn]
      }
      EncryptDlqMessages = {
        actions   = ["kms:GenerateDataKey"]
        resources = [module.kms.key_arn]
      }
    }
  }
}

################################################################################
# Encryption: one customer-managed key per environment
################################################################################

module "kms" {
  source = "./modules/kms_key"

  alias                   = local.name_prefix
  description             = "books-cqrs ${var.environment}: images, tables, queue, logs and function environments"
  log_group_name_prefixes = ["/aws/lambda/${local.name_prefix}-", "/aws/apigateway/${local.name_prefix}-"]
}

################################################################################
# Images
################################################################################

module "ecr" {
  source   = "./modules/ecr_repository"
  for_each = local.functions

  name             = each.value.function_name
  keep_last_images = var.ecr_keep_last_images
  kms_key_arn      = module.kms.key_arn
}

################################################################################
# Data: event store (with stream) and read model
################################################################################

module "event_store" {
  source = "./modules/dynamodb_table"

  name             = "${local.name_prefix}-events"
  hash_key         = "pk"
  range_key        = "sk"
  attributes       = { pk = "S", sk = "N" }
  stream_view_type = "NEW_IMAGE"
  kms_key_arn      = module.kms.key_arn

  # Idempotency records carry expires_at (services/books/adapters/event_store.py); events and claims do not,
  # so only the records expire. Their REMOVE stream records reach the projector, which ignores non-events.
  ttl_attribute = "expires_at"
}

module "read_model" {
  source = "./modules/dynamodb_table"

  name       = "${local.name_prefix}-read-model"
  hash_key   = "id"
  attributes = { id = "S", kind = "S", title_key = "S" }

  global_secondary_indexes = {
    by_title = { hash_key = "kind", range_key = "title_key" }
  }

  kms_key_arn = module.kms.key_arn
}

module "projector_dlq" {
  source = "./modules/sqs_queue"

  name        = "${local.name_prefix}-projector-dlq"
  kms_key_arn = module.kms.key_arn
}

################################################################################
# Functions
################################################################################

module "function" {
  source   = "./modules/lambda_function"
  for_each = local.functions

  function_name      = each.value.function_name
  description        = "books-cqrs ${each.key} function"
  image_uri          = "${module.ecr[each.key].repository_url}@${var.image_digests[each.key]}"
  command            = ["books.entrypoints.${each.key}.handler"]
  timeout            = each.value.timeout
  memory_size        = each.value.memory_size
  log_retention_days = var.log_retention_days
  policy_statements  = local.function_policy_statements[each.key]
  kms_key_arn        = module.kms.key_arn

  environment_variables = merge(local.function_environment[each.key], { LOG_LEVEL = var.log_level })
}

module "projector_stream" {
  source = "./modules/stream_event_source"

  function_name              = module.function["projector"].function_name
  event_source_arn           = module.event_store.stream_arn
  on_failure_destination_arn = module.projector_dlq.arn
}

################################################################################
# HTTP API
################################################################################

locals {
  write_route = { integration = "command", authorization_type = "JWT", authorization_scopes = [var.write_scope] }
  read_route  = { integration = "query", authorization_type = "NONE", authorization_scopes = [] }
}

module "http_api" {
  source = "./modules/http_api"

  name         = "${local.name_prefix}-api"
  description  = "books-cqrs catalog API (${var.environment})"
  jwt_issuer   = var.jwt_issuer
  jwt_audience = [var.jwt_audience]

  integrations = {
    for name in ["command", "query"] : name => {
      function_name = module.function[name].function_name
      invoke_arn    = module.function[name].invoke_arn
    }
  }

  routes = {
    "POST /v1/catalog/books"        = local.write_route
    "GET /v1/catalog/books"         = local.read_route
    "GET /v1/catalog/books/{id}"    = local.read_route
    "PUT /v1/catalog/books/{id}"    = local.write_route
    "PATCH /v1/catalog/books/{id}"  = local.write_route
    "DELETE /v1/catalog/books/{id}" = local.write_route
  }

  log_retention_days     = var.log_retention_days
  kms_key_arn            = module.kms.key_arn
  throttling_burst_limit = var.throttling_burst_limit
  throttling_rate_limit  = var.throttling_rate_limit
}
