"""Random first names from the `names` package, typed once here."""

import names


def random_first_name() -> str:
    name: str = names.get_first_name()
    return name
