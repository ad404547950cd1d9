"""The Security Token Service at /sts/STSService: `service` (WS-Trust Issue
and Renew), `tokens` (the SAML 2.0 tokens it signs and LoginByToken
accepts), `signatures` (the XML signature profile both use)."""
