"""The ways people act on incidents: the `incident` CLI's commands (``cli*``, with ``starter.py``
its entry point), the shared command layer (``commands``), Slack's `/incident` grammar
(``slash``) and relay (``relay``), people looked up in Slack (``people``) and the figures
`incident stats` prints (``stats``)."""
