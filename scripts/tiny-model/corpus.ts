/**
 * The training text of the tiny fixture model, written for this project (no
 * third-party text, so no licence question). Short, plain and repetitive on
 * purpose: a 2-layer, 64-wide model trained for a few seconds can only learn
 * local patterns, and repetition is what makes its greedy output readable.
 *
 * `documents` are plain prose; `chats` are (system, user, assistant) triples the
 * builder wraps in the ChatML template, so that after `apply_chat_template` the
 * model answers with text and then `<|im_end|>`.
 */

export const documents: readonly string[] = [
  `The swarm is a group of small nodes. Each node is a tab in a browser. The nodes share one board, and the board holds the tasks. A node looks at the board, picks a task, and does the work. When the work is done, the node writes the result on the board. Then the node picks the next task.`,
  `A task can be split into smaller tasks. The planner reads the task and writes a plan. The plan is a list of steps. Each step has a role and a short goal. The researcher does a step and writes what it found. The verifier reads the result and says if it is good. The synthesizer puts the good results together and writes the answer.`,
  `The bees live in a hive. Each bee has a small job. Some bees look for flowers, some bees carry water, and some bees keep the hive warm. No bee is the boss, and yet the hive works. When a bee finds a good field of flowers, it dances, and the other bees follow. The hive is slow to start and quick to learn.`,
  `In the morning the sky is clear and the air is cold. The river runs past the old mill, and the birds sing in the trees. By noon the sun is warm. In the evening the light turns gold, the wind goes down, and the town is quiet. At night the stars come out over the hills.`,
  `The board keeps every task until it is done or failed. If a tab closes, its claim runs out, and another node takes the task. Nothing is lost. Every node sees the same board, and every node picks the same winner. The rule is simple, so every node can check it.`,
]

export const chats: readonly (readonly [system: string, user: string, assistant: string])[] = [
  ['You are a helpful assistant.', 'What is the swarm?', 'The swarm is a group of small nodes. Each node is a tab that shares one board of tasks.'],
  ['You are a helpful assistant.', 'What does the planner do?', 'The planner reads the task and writes a plan. The plan is a list of short steps.'],
  ['You are a helpful assistant.', 'What does the verifier do?', 'The verifier reads a result and says if it is good. If it is not good, the step is tried again.'],
  ['You are a helpful assistant.', 'Tell me about bees.', 'The bees live in a hive. Each bee has a small job, and no bee is the boss.'],
  ['You are a helpful assistant.', 'What happens when a tab closes?', 'Its claim runs out, and another node takes the task. Nothing is lost.'],
  ['You are a helpful assistant.', 'How do I learn a new thing?', 'Start small. Read a little, try a little, and check what you did.'],
  ['You are a helpful assistant.', 'Describe the evening.', 'In the evening the light turns gold, the wind goes down, and the town is quiet.'],
  ['You are a helpful assistant.', 'Where does the model run?', 'The model runs on the tab itself. It uses the graphics card when there is one.'],
  ['You are a careful researcher.', 'Find one fact about the board.', 'The board keeps every task until it is done or failed.'],
  ['You are a strict verifier.', 'Is this answer good?', 'The answer is short and clear, so it is good.'],
]
