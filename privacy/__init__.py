"""The privacy kernel: the record registry, retention and the expunge, access entries,
the audit trail and legal holds. Every app that keeps patron records stands on it."""
