variable "resource_group_name" {
  description = "Resource group of the DNS zone."
  type        = string
}

variable "zone_name" {
  description = "The Azure DNS zone failover-sync writes, without the trailing dot (example.com)."
  type        = string
}

variable "principal_id" {
  description = "Object id of the identity failover-sync runs as (a managed identity, or the service principal of a workload identity federation)."
  type        = string
}

variable "record_sets" {
  description = "The managed record sets: relative name (\"app\", \"@\" for the apex) and type (A, AAAA, CNAME or TXT). Each one's ownership marker _failover-sync.<name> TXT is added."
  type = list(object({
    name = string
    type = string
  }))
  validation {
    condition     = alltrue([for r in var.record_sets : contains(["A", "AAAA", "CNAME", "TXT"], upper(r.type))])
    error_message = "record_sets[*].type must be A, AAAA, CNAME or TXT."
  }
}

variable "scope" {
  description = "\"record_sets\": one role assignment per managed record set and per marker (least privilege; the record sets must exist, and the adapter needs `read: get`). \"zone\": one assignment of the same custom role on the zone (lets failover-sync create new names and list by type)."
  type        = string
  default     = "record_sets"
  validation {
    condition     = contains(["record_sets", "zone"], var.scope)
    error_message = "scope must be \"record_sets\" or \"zone\"."
  }
}

variable "allow_delete" {
  description = "Also grant Microsoft.Network/dnsZones/<type>/delete: needed only when failover-sync should remove record sets (a record taken out of the config with its marker)."
  type        = bool
  default     = false
}
