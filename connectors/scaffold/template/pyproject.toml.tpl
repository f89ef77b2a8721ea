[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "credithub-conn-$name"
version = "0.1.0"
description = "CreditHub connector: $title"
requires-python = ">=3.11"
dependencies = ["credithub"]

[project.entry-points."credithub.connectors"]
$name = "$package:$class_name"

[tool.setuptools]
packages = ["$package"]

[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
