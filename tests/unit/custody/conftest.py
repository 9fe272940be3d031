from tests.unit.equipment.conftest import unit_many_10

__all__ = ["unit_many_10"]
