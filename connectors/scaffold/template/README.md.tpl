# $title — CreditHub connector `$name`

    pip install -e .                                   # registers the entry point credithub.connectors:$name
    credithub connectors test $name --config config.example.json
    pytest tests/

The sample export is in `sample/`; the expectation suite for the staged rows is in
`expectations/$name.notices.json` (copy it into CreditHub's `expectations/` folder).
See docs/connectors.md in CreditHub for the full guide.
