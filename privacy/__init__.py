"""The privacy kernel: the record registry, retention and the expunge, access entries, the audit trail and legal holds, which every app that keeps patron records stands on."""
