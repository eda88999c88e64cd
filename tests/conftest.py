pytest_plugins = ["mlcloss.testing.plugin"]
