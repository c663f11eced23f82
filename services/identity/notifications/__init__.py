"""Notifications (SPEC.md, Notifications; issue 24): what people are told about what they submitted, in an
in-app inbox and, for decisions that need action, by SMS. Identity owns them because it owns people, their
phones and the SMS sender. The modules: kinds (what can be told), texts and sms_templates (how it reads),
fanout (who is told what for each consumed event), rules (quiet hours, ceiling, preferences, retries),
store (the SQL) and channels (where SMS and, later, app push plug in)."""
