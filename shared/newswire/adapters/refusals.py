"""What a command does when Kafka or Elasticsearch refuses it for good.

A wrong password, an untrusted certificate, a host name the certificate does not name or a
missing permission is not fixed by trying again: the command says why in one line (the adapters'
`KafkaAccessError` and `access_problem`) and exits with EXIT_REFUSED, 78 (sysexits' EX_CONFIG,
"configuration error"), which tells its supervisor (`newswire run|up`) not to start it again
until someone changes the setting the line names.
"""

EXIT_REFUSED = 78
