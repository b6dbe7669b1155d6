# fish completion for sipreg(1)

set -l subcommands register unregister query

complete -c sipreg -f
complete -c sipreg -n "not __fish_seen_subcommand_from $subcommands" -s h -l help -d 'Print help and exit'
complete -c sipreg -n "not __fish_seen_subcommand_from $subcommands" -l version -d 'Print version and exit'
complete -c sipreg -n "not __fish_seen_subcommand_from $subcommands" -a register -d 'Register and keep the registration fresh'
complete -c sipreg -n "not __fish_seen_subcommand_from $subcommands" -a unregister -d 'Remove our binding (or all with --all)'
complete -c sipreg -n "not __fish_seen_subcommand_from $subcommands" -a query -d 'List the bindings the registrar holds'

# Options of every subcommand
set -l any "__fish_seen_subcommand_from $subcommands"
complete -c sipreg -n $any -s h -l help -d 'Print help and exit'
complete -c sipreg -n $any -l registrar -x -d 'Registrar URI, sip:HOST[:PORT][;transport=tcp]'
complete -c sipreg -n $any -l aor -x -d 'Address of record, sip:USER@DOMAIN'
complete -c sipreg -n $any -l user -x -d 'Authentication user'
complete -c sipreg -n $any -l password-file -r -F -d 'File whose first line is the password'
complete -c sipreg -n $any -l contact -x -d 'Contact URI to register'
complete -c sipreg -n $any -l accounts -r -F -d 'JSON Lines file with one account per line'
complete -c sipreg -n $any -l local -x -d 'Local address to send from, ADDR:PORT'
complete -c sipreg -n $any -l json -d 'Write events as JSON Lines on stdout'
complete -c sipreg -n $any -l max-inflight -x -d 'REGISTER transactions in flight at most'
complete -c sipreg -n $any -s v -l verbose -d 'More diagnostics on stderr'

# register
complete -c sipreg -n '__fish_seen_subcommand_from register' -l expires -x -d 'Requested expiry in seconds'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l once -d 'Register once and exit'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l keep -d 'Do not unregister on SIGINT/SIGTERM'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l instance -x -d 'RFC 5626 +sip.instance URN'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l reg-id -x -d 'RFC 5626 reg-id'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l push-provider -x -d 'RFC 8599 pn-provider'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l push-prid -x -d 'RFC 8599 pn-prid'
complete -c sipreg -n '__fish_seen_subcommand_from register' -l push-param -x -d 'RFC 8599 pn-param'

# unregister
complete -c sipreg -n '__fish_seen_subcommand_from unregister' -l all -d 'Remove every binding of the AOR'
