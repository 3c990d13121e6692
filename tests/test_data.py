from playground.data.shakespeare import clean_spoken_line, play_to_text

PLAY = """# A Play

## ACT I

_Thunder. Enter two Witches,
meeting_

**First Witch**  
When shall we meet again  
In thunder\\--or in rain?

_Exit_

Who comes here? _[Aside to him]_

**ALL**  
Fair is foul.

*Exeunt.*
"""


def test_play_to_text_keeps_speeches_only():
    assert play_to_text(PLAY) == (
        "First Witch:\nWhen shall we meet again\nIn thunder--or in rain?\nWho comes here?\n\n"
        "ALL:\nFair is foul.\n\n"
    )


def test_clean_spoken_line():
    assert clean_spoken_line("No, no; he'll __\\[ ]_") == "No, no; he'll"
    assert clean_spoken_line("A messenger?\u2014Lord") == "A messenger?--Lord"
