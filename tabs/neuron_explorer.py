"""Neuron explorer: colour a text by the activation of one LSTM cell."""

import gradio as gr

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
from tabs.errors import user_errors

DEFAULT_TEXT = (
    "MACBETH:\n"
    "Is this a dagger which I see before me,\n"
    "The handle toward my hand? Come, let me clutch thee.\n"
    "I have thee not, and yet I see thee still.\n"
    '(He reaches out.) "Art thou not, fatal vision, sensible\n'
    'To feeling as to sight?" See www.example.org/macbeth (act [2], scene {1}).\n'
)
TOP_CELLS = 8


def build(registry: ModelRegistry, model_name: gr.Dropdown) -> None:
    """Add the explorer, reading the model chosen in ``model_name``, to the current layout."""

    def find_cells(text: str, model: str, feature: str):
        with user_errors():
            lm = registry.get(model)
            read_text, activations, cells = find_feature_cells(lm, text, feature, TOP_CELLS)
            hidden = lm.stepper_weights.hidden_size
            rows = [[index, describe_cell(index, hidden), round(r, 3)] for index, r in cells]
            best = cells[0][0]
            return rows, best, activation_html(read_text, activations[:, best])

    def show_cell(text: str, model: str, cell: float):
        with user_errors():
            lm = registry.get(model)
            total = lm.stepper_weights.num_layers * lm.stepper_weights.hidden_size
            if cell is None or cell != int(cell) or not 0 <= cell < total:
                raise gr.Error(f"Cell must be a whole number from 0 to {total - 1}.")
            read_text, ids = encode_for_explorer(lm, text)
            activations = cell_activations(lm.stepper_weights, ids)
            return activation_html(read_text, activations[:, int(cell)])

    with gr.Accordion("What do single cells track?", open=False):
        gr.Markdown(
            "Some cells of a character LSTM follow the structure of the text: whether it is "
            "inside quotes, how deep the brackets are nested, how far along the line it is. "
            "Pick a feature to rank the cells by how strongly they correlate with it, then "
            "see one cell's activation on every character (red positive, blue negative)."
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
        coloured = gr.HTML()
    find_button.click(
        find_cells,
        [text, model_name, feature],
        [cells_table, cell, coloured],
        api_visibility="private",
    )
    show_button.click(show_cell, [text, model_name, cell], coloured, api_visibility="private")
