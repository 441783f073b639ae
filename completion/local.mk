# Bash completion for skiff, where bash-completion loads it on demand (the
# file is named after the command). Under $(datadir), so distcheck's
# staged install works without root.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = completion/skiff
