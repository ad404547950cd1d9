"""Tasks and events: Task and TaskManager, EventManager, the history
collectors, AlarmManager, PerformanceManager and ScheduledTaskManager. Every
area runs its work as tasks and posts events through here."""
