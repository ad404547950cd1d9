"""The API service itself: ServiceInstance, SessionManager, the
PropertyCollector with its filters and live updates, views, SearchIndex, and
the service and localization managers."""
