variable "region" {
  description = "Region of the function, the bucket and the topic."
  type        = string
  default     = "cn-north-4"
}

variable "sms_region" {
  description = "SMS endpoint region (cn-north-4, ap-southeast-3, my-kualalumpur-1, ru-moscow-1)."
  type        = string
  default     = "cn-north-4"
}

variable "name" {
  description = "Name of the function; also prefixes the agency, role and topic names."
  type        = string
  default     = "sms-consistency-export"
}

variable "input_bucket" {
  description = "OBS bucket operators upload to. Exports go to the same bucket."
  type        = string
}

variable "create_input_bucket" {
  description = "false to attach an existing bucket named input_bucket."
  type        = bool
  default     = true
}

variable "input_prefix" {
  description = "Uploads under this prefix are exported (the OBS triggers' prefix, and INPUT_PREFIX)."
  type        = string
  default     = "incoming/"
}

variable "export_prefix" {
  description = "Where exported files go. Uploads under it are ignored by the function."
  type        = string
  default     = "consistency-results/"
}

variable "package" {
  description = "The code package built by `make package`."
  type        = string
  default     = "../../dist/functiongraph.zip"
}

variable "runtime" {
  description = "Python3.12, or Python3.10 with a package built by `make package FG_PYTHON=3.10`."
  type        = string
  default     = "Python3.12"
}

variable "discovery_schedule" {
  description = "Cron of the discovery timer, which is created disabled."
  type        = string
  default     = "0 0 2 * * ?"
}

variable "access_key" {
  description = "Optional: an IAM user's AK instead of the agency's temporary credentials."
  type        = string
  default     = ""
  sensitive   = true
}

variable "secret_key" {
  description = "Optional: the SK that goes with access_key. Stored as encrypted user data."
  type        = string
  default     = ""
  sensitive   = true
}

variable "failure_prefix" {
  description = "Where FunctionGraph keeps asynchronous invocations that failed after every retry"
  type        = string
  default     = "failed-invocations/"
}

variable "metrics_namespace" {
  description = "Cloud Eye namespace of the function's metrics (service.item) and of its alarms"
  type        = string
  default     = "SmsExport.Consistency"
}

variable "max_instances" {
  description = "Most instances at once (max_instance_num). Each keeps up to MAX_CONCURRENCY (4) SMS calls in flight against one API quota: keep this x MAX_CALLS_PER_SECOND within it (docs/fleet.md)."
  type        = number
  default     = 4
  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances is a whole number from 1 to 1000 (0 would disable the function, -1 lift the bound)."
  }
}
