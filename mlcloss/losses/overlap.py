"""(overlap family: being written.)"""

__all__: list[str] = []
