output "function_urn" {
  value = huaweicloud_fgs_function.export.urn
}

output "outcome_topic_urn" {
  description = "Subscribe e-mail, SMS, HTTP or a function to receive each outcome."
  value       = huaweicloud_smn_topic.outcomes.topic_urn
}

output "upload_to" {
  value = "obs://${local.bucket}/${var.input_prefix}"
}
