# sms-consistency-export on FunctionGraph: the function, its agency, the OBS upload triggers,
# a disabled discovery timer, asynchronous-invocation settings with a failure destination,
# and the SMN topic outcomes are published to.

locals {
  bucket       = var.create_input_bucket ? huaweicloud_obs_bucket.input[0].bucket : var.input_bucket
  obs_endpoint = "https://obs.${var.region}.myhuaweicloud.com"
  code_key     = "functiongraph-code/${filesha256(var.package)}.zip"
  keys         = var.access_key == "" ? {} : { CLOUD_SDK_AK = var.access_key, CLOUD_SDK_SK = var.secret_key }
  # What the function reads (sms_export.readers.EXTENSIONS, and any of them gzipped).
  input_suffixes = [".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".xlsx", ".gz"]
}

data "huaweicloud_identity_projects" "current" {
  name = var.region
}

resource "huaweicloud_obs_bucket" "input" {
  count         = var.create_input_bucket ? 1 : 0
  bucket        = var.input_bucket
  acl           = "private"
  versioning    = true
  force_destroy = false
}

# The package is 4.9 MB (16 MB unpacked; `make package`): it goes through OBS, outside
# the input and export prefixes.
resource "huaweicloud_obs_bucket_object" "code" {
  bucket = local.bucket
  key    = local.code_key
  source = var.package
  etag   = filemd5(var.package)
}

resource "huaweicloud_smn_topic" "outcomes" {
  name         = "${var.name}-outcomes"
  display_name = "SMS consistency export outcomes"
}

# Least privilege: what the function calls, nothing more.
resource "huaweicloud_identity_role" "global" {
  name        = "${var.name}-global"
  type        = "AX"
  description = "SMS consistency export: read results, read uploads, write exports"
  policy = jsonencode({
    Version = "1.1"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "sms:server:getBatchConsistencyResults",
          "sms:server:getConsistencyCheckResult", # the verdict per source
          "sms:server:queryServer",
          "sms:server:list",
        ]
      },
      {
        Effect   = "Allow"
        Action   = ["obs:object:GetObject", "obs:object:GetObjectVersion"]
        Resource = ["OBS:*:*:object:${local.bucket}/${var.input_prefix}*"]
      },
      {
        Effect = "Allow"
        Action = ["obs:object:PutObject", "obs:object:AbortMultipartUpload"]
        # The exports, and the records of asynchronous invocations that failed for good
        # (FunctionGraph writes those with the function's agency).
        Resource = [
          "OBS:*:*:object:${local.bucket}/${var.export_prefix}*",
          "OBS:*:*:object:${local.bucket}/${var.failure_prefix}*",
        ]
      },
      {
        # The exports are read back to merge them into one results file.
        Effect   = "Allow"
        Action   = ["obs:object:GetObject"]
        Resource = ["OBS:*:*:object:${local.bucket}/${var.export_prefix}*"]
      },
      {
        Effect   = "Allow"
        Action   = ["obs:bucket:ListBucket"]
        Resource = ["OBS:*:*:bucket:${local.bucket}"]
      },
    ]
  })
}

resource "huaweicloud_identity_role" "project" {
  name        = "${var.name}-project"
  type        = "XA"
  description = "SMS consistency export: publish outcomes and metrics"
  policy = jsonencode({
    Version = "1.1"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["smn:topic:publish"]
        Resource = ["SMN:*:*:topic:${huaweicloud_smn_topic.outcomes.name}"]
      },
      {
        # Each input's metrics, as Cloud Eye custom metrics.
        Effect = "Allow"
        Action = ["ces:metricData:create"]
      },
    ]
  })
}

# FunctionGraph hands the agency's temporary AK/SK/token to the function (context), so no
# long-lived key needs to be stored at all.
resource "huaweicloud_identity_agency" "function" {
  name                   = "${var.name}-function"
  description            = "Lets ${var.name} export SMS results, use OBS and publish to SMN"
  delegated_service_name = "op_svc_cff"
  domain_roles           = [huaweicloud_identity_role.global.name]
  project_role {
    project = var.region
    roles   = [huaweicloud_identity_role.project.name]
  }
}

resource "huaweicloud_fgs_function" "export" {
  name        = var.name
  app         = "default"
  runtime     = var.runtime
  handler     = "index.handler"
  memory_size = 256
  timeout     = 300
  code_type   = "obs"
  code_url    = "https://${local.bucket}.obs.${var.region}.myhuaweicloud.com/${huaweicloud_obs_bucket_object.code.key}"
  agency      = huaweicloud_identity_agency.function.name

  # Every instance calls the same SMS API quota (docs/fleet.md), so the fleet is bounded.
  # max_instance_num is a v2 setting (a string in the provider's schema).
  functiongraph_version = "v2"
  max_instance_num      = tostring(var.max_instances)

  user_data = jsonencode({
    SMS_REGION        = var.sms_region
    INPUT_PREFIX      = var.input_prefix
    STORAGE_ENDPOINT  = local.obs_endpoint
    EXPORT_BUCKET     = local.bucket
    EXPORT_PREFIX     = var.export_prefix
    NOTIFY_TOPIC      = huaweicloud_smn_topic.outcomes.topic_urn
    METRICS           = "ces"
    METRICS_NAMESPACE = var.metrics_namespace
    CES_ENDPOINT      = "https://ces.${var.region}.myhuaweicloud.com" # the function's region
  })
  # Secrets only here: encrypted at rest, read through context.getUserData.
  encrypted_user_data = jsonencode(local.keys)
}

# Uploads start an instance only under the input prefix and with a suffix the function
# reads: the exports it writes to the same bucket, and any other object, never take one of
# the few instances. An OBS trigger takes one prefix and one suffix, hence one per suffix;
# with the timer that is 9 triggers, within FunctionGraph's 10 per function. (An EventGrid
# trigger takes no key filter.) Events are S3-style records with URL-encoded keys.
resource "huaweicloud_fgs_function_trigger" "upload" {
  for_each     = toset(local.input_suffixes)
  function_urn = huaweicloud_fgs_function.export.urn
  type         = "OBS"
  status       = "ACTIVE"
  event_data = jsonencode({
    name   = "${var.name}-upload-${trimprefix(each.key, ".")}"
    bucket = local.bucket
    events = ["s3:ObjectCreated:*"]
    prefix = var.input_prefix
    suffix = each.key
  })
}

resource "huaweicloud_fgs_function_trigger" "discovery" {
  function_urn = huaweicloud_fgs_function.export.urn
  type         = "TIMER"
  status       = "DISABLED" # enable it to export every source with results, nightly
  event_data = jsonencode({
    name          = "${var.name}-discovery"
    schedule_type = "Cron"
    schedule      = var.discovery_schedule
    user_event    = jsonencode({ discover = {} })
  })
}

# OBS and TIMER triggers invoke asynchronously. When an invocation fails (the function
# asks for a retry when throttling or time left work undone), FunctionGraph retries; an
# event that still fails is kept in OBS, not lost.
resource "huaweicloud_fgs_async_invoke_configuration" "export" {
  function_urn                   = huaweicloud_fgs_function.export.urn
  max_async_event_age_in_seconds = 86400
  max_async_retry_attempts       = 3
  on_failure {
    destination = "OBS"
    param = jsonencode({
      bucket  = local.bucket
      prefix  = var.failure_prefix
      expires = 30
    })
  }
}

# Alarms on the metrics each input puts to Cloud Eye (per function), to the outcome topic.
locals {
  alarms = {
    failed_batches = {
      metric      = "BatchesFailed"
      description = "Batches failed to export; see the outcome's batches and outcome.json"
    }
    inconsistent_sources = {
      metric      = "SourcesInconsistent"
      description = "Sources whose target differs; see the outcome's consistency and report.html"
    }
    # Published only when the same input ran before (the outcome's consistency.changes).
    newly_inconsistent_sources = {
      metric      = "SourcesNewlyInconsistent"
      description = "Sources that differ now and did not in the previous run of the same input; see the outcome's consistency.changes and report.html"
    }
  }
}

resource "huaweicloud_ces_alarmrule" "alarms" {
  for_each          = local.alarms
  alarm_name        = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description = each.value.description
  metric {
    namespace = var.metrics_namespace
  }
  resources {
    dimensions {
      name  = "FunctionName"
      value = huaweicloud_fgs_function.export.name
    }
  }
  condition {
    metric_name         = each.value.metric
    period              = 300
    filter              = "sum"
    comparison_operator = ">"
    value               = 0
    count               = 1
  }
  alarm_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.outcomes.topic_urn]
  }
}
