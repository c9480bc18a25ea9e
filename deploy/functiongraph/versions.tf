terraform {
  required_version = ">= 1.5"
  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = ">= 1.70"
    }
  }
}

provider "huaweicloud" {
  region = var.region
}
