# sms-consistency-export on FunctionGraph: the function, its agency, the OBS upload trigger
# (through EventGrid), a disabled discovery timer, asynchronous-invocation settings with a
# failure destination, and the SMN topic outcomes are published to.

locals {
  bucket       = var.create_input_bucket ? huaweicloud_obs_bucket.input[0].bucket : var.input_bucket
  obs_endpoint = "https://obs.${var.region}.myhuaweicloud.com"
  code_key     = "functiongraph-code/${filesha256(var.package)}.zip"
  keys         = var.access_key == "" ? {} : { CLOUD_SDK_AK = var.access_key, CLOUD_SDK_SK = var.secret_key }
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

resource "huaweicloud_identity_agency" "eventgrid" {
  name                   = "${var.name}-eventgrid"
  description            = "Lets EventGrid deliver OBS upload events to ${var.name}"
  delegated_service_name = "op_svc_eg"
  project_role {
    project = var.region
    roles   = ["FunctionGraph FullAccess"]
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
  user_data = jsonencode({
    SMS_REGION        = var.sms_region
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

data "huaweicloud_eg_event_channels" "default" {
  provider_type = "OFFICIAL"
  name          = "default"
}

resource "huaweicloud_fgs_function_trigger" "upload" {
  function_urn                   = huaweicloud_fgs_function.export.urn
  type                           = "EVENTGRID"
  status                         = "ACTIVE"
  cascade_delete_eg_subscription = true
  event_data = jsonencode({
    channel_id   = data.huaweicloud_eg_event_channels.default.channels[0].id
    channel_name = data.huaweicloud_eg_event_channels.default.channels[0].name
    source_name  = "HC.OBS.DWR"
    trigger_name = "${var.name}-upload"
    agency       = huaweicloud_identity_agency.eventgrid.name
    bucket       = local.bucket
    event_types = [
      "OBS:DWR:ObjectCreated:PUT",
      "OBS:DWR:ObjectCreated:POST",
      "OBS:DWR:ObjectCreated:COPY",
      "OBS:DWR:ObjectCreated:CompleteMultipartUpload",
    ]
    Key_encode = true # keys arrive URL-encoded; the function decodes them
  })
  lifecycle {
    ignore_changes = [event_data] # parts of event_data are not returned by the service
  }
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
