"""Neuron explorer: colour a text by the activation of one LSTM cell."""

import gradio as gr

from playground.errors import InvalidInputError
from playground.neurons import (
    FEATURES,
    MAX_EXPLORER_LENGTH,
    activation_html,
    cell_activations,
    describe_cell,
    encode_for_explorer,
    find_feature_cells,
)
from playground.registry import ModelRegistry
from tabs.errors import escape_text, user_errors

# Quotes and verse lines occur in the Shakespeare vocabulary; brackets and "/" do not.
DEFAULT_TEXT = (
    "MACBETH:\n"
    "Is this a dagger which I see before me,\n"
    "The handle toward my hand? Come, let me clutch thee.\n"
    'I have thee not, and yet I see thee still. "Art thou not,\n'
    'fatal vision, sensible to feeling as to sight?" he cries;\n'
    '"or art thou but a dagger of the mind, a false creation?"\n'
)
C_EXAMPLE = (
    "static int count_nodes(struct node *root, int depth)\n"
    "{\n"
    "\tint total = 1; /* this node */\n"
    "\tif (!root)\n"
    "\t\treturn 0;\n"
    "\tfor (int i = 0; i < root->nr_children; i++) {\n"
    "\t\tif (depth > MAX_DEPTH) {\n"
    '\t\t\tpr_warn("tree too deep at %d (%s)\\n", depth, root->name);\n'
    "\t\t\tbreak;\n"
    "\t\t}\n"
    "\t\ttotal += count_nodes(root->children[i], depth + 1);\n"
    "\t}\n"
    "\treturn total; // all nodes below root\n"
    "}\n"
)
URL_EXAMPLE = (
    "# The mirror list lives at https://example.org/mirrors/list.txt and is\n"
    "# refreshed nightly; see also http://example.com/docs/?page=mirrors for\n"
    "# the format (one URL per line).\n"
)
EXPLORER_EXAMPLES = [
    (DEFAULT_TEXT, "inside quotes", "shakespeare"),
    (DEFAULT_TEXT, "position in line", "shakespeare"),
    (C_EXAMPLE, "bracket depth", "linux-c"),
    (C_EXAMPLE, "inside a C comment", "linux-c"),
    (URL_EXAMPLE, "inside a URL", "python"),
]
TOP_CELLS = 8


def describe_dropped(dropped: list[str]) -> str:
    """Return an escaped HTML note naming the characters the model could not read."""
    if not dropped:
        return ""
    shown = " ".join(repr(ch) for ch in dropped[:20])
    return f"<p>{escape_text(f'Not in the model vocabulary, so left out: {shown}')}</p>"


def build(registry: ModelRegistry, model_name: gr.Dropdown) -> None:
    """Add the explorer, reading the model chosen in ``model_name``, to the current layout."""

    def find_cells(text: str, model: str, feature: str):
        with user_errors():
            lm = registry.get(model)
            read_text, activations, cells, dropped = find_feature_cells(
                lm, text, feature, TOP_CELLS
            )
            hidden = lm.stepper_weights.hidden_size
            rows = [[index, describe_cell(index, hidden), round(r, 3)] for index, r in cells]
            best = cells[0][0]
            colours = activation_html(read_text, activations[:, best])
            return rows, best, colours, describe_dropped(dropped)

    def show_cell(text: str, model: str, cell: float):
        with user_errors():
            lm = registry.get(model)
            total = lm.stepper_weights.num_layers * lm.stepper_weights.hidden_size
            if cell is None or cell != int(cell) or not 0 <= cell < total:
                raise InvalidInputError(f"Cell must be a whole number from 0 to {total - 1}.")
            read_text, ids, dropped = encode_for_explorer(lm, text)
            activations = cell_activations(lm.stepper_weights, ids)
            return activation_html(read_text, activations[:, int(cell)]), describe_dropped(dropped)

    with gr.Accordion("What do single cells track?", open=False):
        gr.Markdown(
            "Some cells of a character LSTM follow the structure of the text: whether it is "
            "inside quotes, how deep the brackets are nested, how far along the line it is. "
            "Pick a feature to rank the cells by how strongly they correlate with it, then "
            "see one cell's activation on every character (red positive, blue negative). "
            "A model can only track what its vocabulary contains: the Shakespeare model has "
            "no brackets, so try quotes and line position with it."
        )
        with gr.Row():
            text = gr.Textbox(
                DEFAULT_TEXT, label="Text to read", lines=6, max_length=MAX_EXPLORER_LENGTH, scale=3
            )
            with gr.Column(scale=1):
                feature = gr.Dropdown(list(FEATURES), value="position in line", label="Feature")
                find_button = gr.Button("Find cells")
                cell = gr.Number(label="Cell to show", precision=0, minimum=0)
                show_button = gr.Button("Show cell")
        cells_table = gr.Dataframe(
            headers=["cell", "where", "correlation"],
            interactive=False,
            label="Cells that track the feature best",
        )
        dropped_note = gr.Markdown()
        coloured = gr.HTML()
        examples = [
            [text_value, feature_name, model]
            for text_value, feature_name, model in EXPLORER_EXAMPLES
            if model in registry.names()
        ]
        if examples:
            gr.Examples(
                examples,
                inputs=[text, feature, model_name],
                label="Texts with structure to track",
                example_labels=[f"{model}: {name}" for _, name, model in examples],
                cache_examples=False,
            )
    find_button.click(
        find_cells,
        [text, model_name, feature],
        [cells_table, cell, coloured, dropped_note],
        api_visibility="private",
    )
    show_button.click(
        show_cell, [text, model_name, cell], [coloured, dropped_note], api_visibility="private"
    )
