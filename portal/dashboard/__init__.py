"""What needs doing and how the service is doing: a DSL's home worklist and the council dashboard."""
