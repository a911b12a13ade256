"""Hang: the import-lock deadlock. The main thread imports plugin_catalog; while it executes
the module's body (holding the module's import lock) it joins thread "catalog-warmer", which
imports plugin_catalog too and waits for that import lock."""


def main():
    import plugin_catalog  # LINE:main_import
    print(plugin_catalog.PLUGINS)


if __name__ == "__main__":
    main()
