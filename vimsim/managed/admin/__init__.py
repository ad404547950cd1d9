"""Administration: AuthorizationManager, UserDirectory, LicenseManager, the
OptionManager of vCenter settings, ExtensionManager, CustomFieldsManager, the
profile managers, crypto and vCenter HA."""
