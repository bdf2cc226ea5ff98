"""A realistic Claude Code first-turn request: body (~76 KB) and headers.

Shaped after what Claude Code 2.1.197 sends on the first request of a ``-p`` session
(see shared/WIRE.md): ``claude-opus-4-8``, ``stream: true``, ``max_tokens: 64000``,
adaptive thinking, ``context_management``, ``output_config``, ``metadata.user_id`` as a
JSON *string*, ``system`` as 3 text blocks (~6 KB, two with ``cache_control``), 24 tools
with JSON schemas, and one user turn. The content is made up but deterministic: the
same bytes on every call, so runs are comparable.

    python -m bench.claude_code_body          # prints the size and a summary
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

MODEL = "claude-opus-4-8"
TARGET_BYTES = 76_000
"""Size of the serialised (compact) body the builder aims for, within ~1%."""

_SCHEMA = "http://json-schema.org/draft-07/schema#"

# Sentences the tool descriptions are padded with, picked deterministically per tool.
_NOTES = (
    "Always use absolute paths; relative paths are resolved against the session's working "
    "directory, which may not be the directory you expect.",
    "When several independent calls are needed, batch them in a single message so they run "
    "in parallel instead of one after another.",
    "Prefer the dedicated tools (Read, Edit, Glob, Grep) over shell commands such as cat, "
    "sed, find or grep, which are slower and produce output that is harder to review.",
    "Output longer than 30000 characters is truncated before it is returned to you.",
    "Never include secrets, API keys or credentials in commands, file contents or commit "
    "messages; if the user pastes one, warn them and do not repeat it.",
    "If a command fails, read the error carefully and fix the cause rather than retrying the "
    "same command unchanged.",
    'Quote file paths that contain spaces with double quotes, e.g. cd "path with spaces".',
    "The user can see the output of this tool, so keep explanations about it short.",
    "Results are returned sorted by modification time, most recent first.",
    "Use this tool proactively when it fits the task; do not wait to be asked.",
    "Do not use this tool to communicate with the user; all text you output outside of tool "
    "use is displayed to the user.",
    "You must read a file at least once in the conversation before editing it; the edit "
    "fails otherwise.",
    "Keep the exact indentation (tabs or spaces) of the original text when you copy it from "
    "the Read output; the line-number prefix is not part of the file.",
    "Avoid interactive commands (git rebase -i, git add -i, editors, pagers): they wait for "
    "input that never comes and the call times out.",
    "For open-ended searches that may need several rounds of globbing and grepping, use the "
    "Task tool with a search agent instead.",
    "Timeouts are given in milliseconds, up to 600000 (10 minutes); the default is 120000.",
    "Use run_in_background for long-running processes such as dev servers and watch builds, "
    "then read their output later with BashOutput.",
    "When the task is ambiguous, ask one focused question instead of guessing; when it is "
    "clear, proceed without asking for confirmation.",
    "The result reflects the state of the file system at the moment of the call; other "
    "processes may change it afterwards.",
    "Line numbers start at 1; lines longer than 2000 characters are truncated in the output.",
    "Images (PNG, JPG), PDFs and Jupyter notebooks are supported and returned in a form the "
    "model can read directly.",
    "Regular expressions use ripgrep syntax: literal braces need escaping, for example "
    "interface\\{\\} to find interface{} in Go code.",
    "Mark each todo as completed as soon as it is done; do not batch several completions.",
    "Exactly one todo should be in_progress at any time, never less and never more.",
    "Domain filters accept bare host names; subdomains are included automatically.",
    "The fetched page is converted to markdown and may be summarised if it is very large.",
    "HTTP URLs are upgraded to HTTPS automatically; redirects to another host are reported "
    "back instead of followed.",
    "Commit messages should explain why a change was made, in one or two sentences, and "
    "follow the style of the repository's recent history.",
    "Never push to the remote, amend published commits or change git config unless the user "
    "explicitly asks for it.",
    "Pre-commit hooks may modify files; if they do, stage the changes and create a new "
    "commit rather than amending.",
    "Each question offers two to four options; the user can always answer with free text "
    "instead of choosing one.",
    "This tool is only available in plan mode; outside of it the call is rejected.",
    "Skills are loaded on demand; the list of available skills is given in the system "
    "reminder at the start of the conversation.",
    "Notebook cells are addressed by cell_id; use edit_mode=insert to add a new cell after "
    "the given one and edit_mode=delete to remove it.",
    "The MCP server must be connected; resources of disconnected servers are not listed.",
    "Paths are matched case-sensitively on Linux and case-insensitively on macOS.",
)

# name, base description, properties, required, share of the padding
_TOOLS: tuple[tuple[str, str, dict[str, Any], tuple[str, ...], float], ...] = (
    (
        "Task",
        "Launch a new agent to handle complex, multi-step tasks autonomously.\n\n"
        "Available agent types and the tools they have access to:\n"
        "- general-purpose: General-purpose agent for researching complex questions, searching "
        "for code, and executing multi-step tasks. (Tools: *)\n"
        "- statusline-setup: Use this agent to configure the user's Claude Code status line "
        "setting. (Tools: Read, Edit)\n"
        "- Explore: Fast agent specialized for exploring codebases. (Tools: Glob, Grep, Read, "
        "Bash)\n- Plan: Software architect agent for designing implementation plans. (Tools: "
        "All tools)\n",
        {
            "description": {
                "type": "string",
                "description": "A short (3-5 word) description of the task",
            },
            "prompt": {"type": "string", "description": "The task for the agent to perform"},
            "subagent_type": {
                "type": "string",
                "description": "The type of specialized agent to use for this task",
            },
            "model": {
                "type": "string",
                "enum": ["sonnet", "opus", "haiku"],
                "description": "Optional model to use for this agent.",
            },
        },
        ("description", "prompt", "subagent_type"),
        0.12,
    ),
    (
        "Bash",
        "Executes a given bash command in a persistent shell session with optional "
        "timeout, ensuring proper handling and security measures.\n\nBefore executing the "
        "command, please follow these steps:\n\n1. Directory Verification:\n   - If the command "
        "will create new directories or files, first use `ls` to verify the parent directory "
        "exists and is the correct location\n\n2. Command Execution:\n   - Always quote file "
        "paths that contain spaces with double quotes\n   - After ensuring proper quoting, "
        "execute the command.\n   - Capture the output of the command.\n\n"
        "# Committing changes with git\n\nOnly create commits when requested by the user. If "
        "unclear, ask first.\n\n# Creating pull requests\nUse the gh command via the Bash tool "
        "for ALL GitHub-related tasks including working with issues, pull requests, checks, and "
        "releases.\n",
        {
            "command": {"type": "string", "description": "The command to execute"},
            "timeout": {
                "type": "number",
                "description": "Optional timeout in milliseconds (max 600000)",
            },
            "description": {
                "type": "string",
                "description": "Clear, concise description of what "
                "this command does in 5-10 words, in active voice.",
            },
            "run_in_background": {
                "type": "boolean",
                "description": "Set to true to run this "
                "command in the background. Use BashOutput to read the output "
                "later.",
            },
            "dangerouslyDisableSandbox": {
                "type": "boolean",
                "description": "Set this to true to "
                "dangerously override sandbox mode and run commands "
                "without sandboxing.",
            },
        },
        ("command",),
        0.26,
    ),
    (
        "Glob",
        "- Fast file pattern matching tool that works with any codebase size\n"
        '- Supports glob patterns like "**/*.js" or "src/**/*.ts"\n'
        "- Returns matching file paths sorted by modification time\n",
        {
            "pattern": {"type": "string", "description": "The glob pattern to match files against"},
            "path": {
                "type": "string",
                "description": "The directory to search in. If not "
                "specified, the current working directory will be used. IMPORTANT: Omit this "
                'field to use the default directory. DO NOT enter "undefined" or "null" - '
                "simply omit it for the default behavior.",
            },
        },
        ("pattern",),
        0.02,
    ),
    (
        "Grep",
        "A powerful search tool built on ripgrep\n\n  Usage:\n  - ALWAYS use Grep for "
        "search tasks. NEVER invoke `grep` or `rg` as a Bash command.\n  - Supports full regex "
        'syntax (e.g., "log.*Error", "function\\\\s+\\\\w+")\n  - Filter files with glob '
        'parameter (e.g., "*.js", "**/*.tsx") or type parameter (e.g., "js", "py", '
        '"rust")\n',
        {
            "pattern": {
                "type": "string",
                "description": "The regular expression pattern to search for in file contents",
            },
            "path": {
                "type": "string",
                "description": "File or directory to search in (rg PATH). "
                "Defaults to current working directory.",
            },
            "glob": {
                "type": "string",
                "description": 'Glob pattern to filter files (e.g. "*.js", '
                '"*.{ts,tsx}") - maps to rg --glob',
            },
            "output_mode": {
                "type": "string",
                "enum": ["content", "files_with_matches", "count"],
                "description": 'Output mode: "content" shows matching lines, '
                '"files_with_matches" shows file paths (default), "count" shows '
                "match counts.",
            },
            "-B": {"type": "number", "description": "Number of lines to show before each match"},
            "-A": {"type": "number", "description": "Number of lines to show after each match"},
            "-C": {
                "type": "number",
                "description": "Number of lines to show before and after each match",
            },
            "-n": {"type": "boolean", "description": "Show line numbers in output."},
            "-i": {"type": "boolean", "description": "Case insensitive search (rg -i)"},
            "type": {"type": "string", "description": "File type to search (rg --type)."},
            "head_limit": {
                "type": "number",
                "description": "Limit output to first N lines/entries.",
            },
            "multiline": {
                "type": "boolean",
                "description": "Enable multiline mode where . matches "
                "newlines and patterns can span lines (rg -U --multiline-dotall).",
            },
        },
        ("pattern",),
        0.05,
    ),
    (
        "ExitPlanMode",
        "Use this tool when you are in plan mode and have finished presenting "
        "your plan and are ready to code. This will prompt the user to exit plan mode.\n",
        {
            "plan": {
                "type": "string",
                "description": "The plan you came up with, that you want to "
                "run by the user for approval. Supports markdown.",
            }
        },
        ("plan",),
        0.02,
    ),
    (
        "Read",
        "Reads a file from the local filesystem. You can access any file directly by "
        "using this tool.\n\nUsage:\n- The file_path parameter must be an absolute path, not a "
        "relative path\n- By default, it reads up to 2000 lines starting from the beginning of "
        "the file\n",
        {
            "file_path": {"type": "string", "description": "The absolute path to the file to read"},
            "offset": {"type": "number", "description": "The line number to start reading from."},
            "limit": {"type": "number", "description": "The number of lines to read."},
        },
        ("file_path",),
        0.05,
    ),
    (
        "Edit",
        "Performs exact string replacements in files.\n\nUsage:\n- You must use your "
        "`Read` tool at least once in the conversation before editing.\n- The edit will FAIL if "
        "`old_string` is not unique in the file.\n",
        {
            "file_path": {
                "type": "string",
                "description": "The absolute path to the file to modify",
            },
            "old_string": {"type": "string", "description": "The text to replace"},
            "new_string": {
                "type": "string",
                "description": "The text to replace it with (must be different from old_string)",
            },
            "replace_all": {
                "type": "boolean",
                "default": False,
                "description": "Replace all occurences of old_string (default false)",
            },
        },
        ("file_path", "old_string", "new_string"),
        0.04,
    ),
    (
        "MultiEdit",
        "This is a tool for making multiple edits to a single file in one "
        "operation. Prefer it over the Edit tool when you need several edits in one file.\n",
        {
            "file_path": {
                "type": "string",
                "description": "The absolute path to the file to modify",
            },
            "edits": {
                "type": "array",
                "minItems": 1,
                "description": "Array of edit operations to perform sequentially on the file",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["old_string", "new_string"],
                    "properties": {
                        "old_string": {"type": "string", "description": "The text to replace"},
                        "new_string": {
                            "type": "string",
                            "description": "The text to replace it with",
                        },
                        "replace_all": {
                            "type": "boolean",
                            "default": False,
                            "description": "Replace all occurences of old_string (default false).",
                        },
                    },
                },
            },
        },
        ("file_path", "edits"),
        0.04,
    ),
    (
        "Write",
        "Writes a file to the local filesystem.\n\nUsage:\n- This tool will overwrite "
        "the existing file if there is one at the provided path.\n",
        {
            "file_path": {
                "type": "string",
                "description": "The absolute path to the file to write "
                "(must be absolute, not relative)",
            },
            "content": {"type": "string", "description": "The content to write to the file"},
        },
        ("file_path", "content"),
        0.03,
    ),
    (
        "NotebookEdit",
        "Completely replaces the contents of a specific cell in a Jupyter "
        "notebook (.ipynb file) with new source.\n",
        {
            "notebook_path": {
                "type": "string",
                "description": "The absolute path to the Jupyter notebook file to edit",
            },
            "cell_id": {"type": "string", "description": "The ID of the cell to edit."},
            "new_source": {"type": "string", "description": "The new source for the cell"},
            "cell_type": {
                "type": "string",
                "enum": ["code", "markdown"],
                "description": "The type of the cell (code or markdown).",
            },
            "edit_mode": {
                "type": "string",
                "enum": ["replace", "insert", "delete"],
                "description": "The type of edit to make (replace, insert, delete). "
                "Defaults to replace.",
            },
        },
        ("notebook_path", "new_source"),
        0.02,
    ),
    (
        "WebFetch",
        "- Fetches content from a specified URL and processes it using an AI "
        "model\n- Takes a URL and a prompt as input\n- Fetches the URL content, converts HTML "
        "to markdown\n",
        {
            "url": {
                "type": "string",
                "format": "uri",
                "description": "The URL to fetch content from",
            },
            "prompt": {"type": "string", "description": "The prompt to run on the fetched content"},
        },
        ("url", "prompt"),
        0.03,
    ),
    (
        "TodoWrite",
        "Use this tool to create and manage a structured task list for your "
        "current coding session. This helps you track progress, organize complex tasks, and "
        "demonstrate thoroughness to the user.\n\n## When to Use This Tool\n1. Complex "
        "multi-step tasks\n2. Non-trivial and complex tasks\n3. User explicitly requests todo "
        "list\n",
        {
            "todos": {
                "type": "array",
                "description": "The updated todo list",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["content", "status", "activeForm"],
                    "properties": {
                        "content": {"type": "string", "minLength": 1},
                        "status": {
                            "type": "string",
                            "enum": ["pending", "in_progress", "completed"],
                        },
                        "activeForm": {"type": "string", "minLength": 1},
                    },
                },
            }
        },
        ("todos",),
        0.10,
    ),
    (
        "WebSearch",
        "- Allows Claude to search the web and use the results to inform "
        "responses\n- Provides up-to-date information for current events and recent data\n",
        {
            "query": {"type": "string", "minLength": 2, "description": "The search query to use"},
            "allowed_domains": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Only include search results from these domains",
            },
            "blocked_domains": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Never include search results from these domains",
            },
        },
        ("query",),
        0.02,
    ),
    (
        "BashOutput",
        "- Retrieves output from a running or completed background bash shell\n"
        "- Takes a shell_id parameter identifying the shell\n",
        {
            "bash_id": {
                "type": "string",
                "description": "The ID of the background shell to retrieve output from",
            },
            "filter": {
                "type": "string",
                "description": "Optional regular expression to filter the output lines.",
            },
        },
        ("bash_id",),
        0.01,
    ),
    (
        "KillShell",
        "- Kills a running background bash shell by its ID\n",
        {"shell_id": {"type": "string", "description": "The ID of the background shell to kill"}},
        ("shell_id",),
        0.01,
    ),
    (
        "SlashCommand",
        "Execute a slash command within the main conversation\n",
        {
            "command": {
                "type": "string",
                "description": "The slash command to execute with its "
                'arguments, e.g., "/review-pr 123"',
            }
        },
        ("command",),
        0.02,
    ),
    (
        "Skill",
        "Execute a skill within the main conversation\n\n<skills_instructions>\nWhen "
        "users ask you to perform tasks, check if any of the available skills below can help "
        "complete the task more effectively.\n</skills_instructions>\n",
        {
            "command": {
                "type": "string",
                "description": 'The skill name (no arguments). E.g., "pdf" or "xlsx"',
            }
        },
        ("command",),
        0.03,
    ),
    (
        "AskUserQuestion",
        "Use this tool when you need to ask the user questions during execution.\n",
        {
            "questions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 4,
                "description": "Questions to ask the user (1-4 questions)",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["question", "header", "options", "multiSelect"],
                    "properties": {
                        "question": {"type": "string"},
                        "header": {"type": "string"},
                        "options": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 4,
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["label", "description"],
                                "properties": {
                                    "label": {"type": "string"},
                                    "description": {"type": "string"},
                                },
                            },
                        },
                        "multiSelect": {"type": "boolean"},
                    },
                },
            },
            "answers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "User answers collected by the permission component",
            },
        },
        ("questions",),
        0.03,
    ),
    (
        "EnterPlanMode",
        "Use this tool when a task needs planning before any code is written.\n",
        {},
        (),
        0.02,
    ),
    (
        "ListMcpResourcesTool",
        "Lists available resources from configured MCP servers.\n",
        {
            "server": {
                "type": "string",
                "description": "Optional server name to filter resources by",
            }
        },
        (),
        0.01,
    ),
    (
        "ReadMcpResourceTool",
        "Reads a specific resource from an MCP server, identified by "
        "server name and resource URI.\n",
        {
            "server": {"type": "string", "description": "The MCP server name"},
            "uri": {"type": "string", "description": "The resource URI to read"},
        },
        ("server", "uri"),
        0.01,
    ),
    (
        "mcp__ide__getDiagnostics",
        "Get language diagnostics from VS Code\n",
        {
            "uri": {
                "type": "string",
                "description": "Optional file URI to get diagnostics for. If "
                "not provided, gets diagnostics for all files.",
            }
        },
        (),
        0.01,
    ),
    (
        "mcp__ide__executeCode",
        "Execute python code in the Jupyter kernel for the current notebook file.\n",
        {"code": {"type": "string", "description": "The code to be executed on the kernel."}},
        ("code",),
        0.02,
    ),
    (
        "NotebookRead",
        "Reads a Jupyter notebook (.ipynb file) and returns all of the cells with their outputs.\n",
        {
            "notebook_path": {
                "type": "string",
                "description": "The absolute path to the Jupyter notebook file to read",
            },
            "cell_id": {"type": "string", "description": "The ID of a specific cell to read."},
        },
        ("notebook_path",),
        0.01,
    ),
)

_SYSTEM_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."

_SYSTEM_MAIN = (
    "\nYou are an interactive CLI tool that helps users with software engineering tasks. "
    "Use the instructions below and the tools available to you to assist the user.\n\n"
    "IMPORTANT: Assist with defensive security tasks only. Refuse to create, modify, or "
    "improve code that may be used maliciously.\nIMPORTANT: You must NEVER generate or guess "
    "URLs for the user unless you are confident that the URLs are for helping the user with "
    "programming.\n\n# Tone and style\nYou should be concise, direct, and to the point, "
    "while providing complete information and matching the level of detail you provide in "
    "your response with the level of complexity of the user's query or the work you have "
    "completed.\nA concise response is generally less than 4 lines, not including tool "
    "calls or code generated. You should provide more detail when the task is complex or "
    "when the user asks you to.\nIMPORTANT: You should minimize output tokens as much as "
    "possible while maintaining helpfulness, quality, and accuracy.\n\n# Proactiveness\n"
    "You are allowed to be proactive, but only when the user asks you to do something. You "
    "should strive to strike a balance between doing the right thing when asked, including "
    "taking actions and follow-up actions, and not surprising the user with actions you "
    "take without asking.\n\n# Following conventions\nWhen making changes to files, first "
    "understand the file's code conventions. Mimic code style, use existing libraries and "
    "utilities, and follow existing patterns.\n- NEVER assume that a given library is "
    "available, even if it is well known. Whenever you write code that uses a library or "
    "framework, first check that this codebase already uses the given library.\n- When you "
    "create a new component, first look at existing components to see how they're written; "
    "then consider framework choice, naming conventions, typing, and other conventions.\n"
    "- Always follow security best practices. Never introduce code that exposes or logs "
    "secrets and keys.\n\n# Code style\n- IMPORTANT: DO NOT ADD ***ANY*** COMMENTS unless "
    "asked\n\n# Task Management\nYou have access to the TodoWrite tools to help you manage "
    "and plan tasks. Use these tools VERY frequently to ensure that you are tracking your "
    "tasks and giving the user visibility into your progress.\n\n# Doing tasks\nThe user "
    "will primarily request you perform software engineering tasks. This includes solving "
    "bugs, adding new functionality, refactoring code, explaining code, and more. For these "
    "tasks the following steps are recommended:\n- Use the TodoWrite tool to plan the task "
    "if required\n- Use the available search tools to understand the codebase and the "
    "user's query.\n- Implement the solution using all tools available to you\n- Verify the "
    "solution if possible with tests. NEVER assume specific test framework or test script.\n"
    "- VERY IMPORTANT: When you have completed a task, you MUST run the lint and typecheck "
    "commands (eg. npm run lint, npm run typecheck, ruff, etc.) with Bash if they were "
    "provided to you to ensure your code is correct.\nNEVER commit changes unless the user "
    "explicitly asks you to.\n\n# Tool usage policy\n- When doing file search, prefer to use "
    "the Task tool in order to reduce context usage.\n- You should proactively use the Task "
    "tool with specialized agents when the task at hand matches the agent's description.\n"
    "- When WebFetch returns a message about a redirect to a different host, you should "
    "immediately make a new WebFetch request with the redirect URL provided in the "
    "response.\n- You have the capability to call multiple tools in a single response. When "
    "multiple independent pieces of information are requested, batch your tool calls "
    "together for optimal performance.\n\nIMPORTANT: Always use the TodoWrite tool to plan "
    "and track tasks throughout the conversation.\n\n# Code References\n\nWhen referencing "
    "specific functions or pieces of code include the pattern `file_path:line_number` to "
    "allow the user to easily navigate to the source code location.\n\n"
    "<example>\nuser: Where are errors from the client handled?\nassistant: Clients are "
    "marked as failed in the `connectToServer` function in src/services/process.ts:712.\n"
    "</example>\n\n# Looking up your own documentation\nWhen the user directly asks about "
    'Claude Code (eg. "can Claude Code do...", "does Claude Code have..."), or asks in '
    'second person (eg. "are you able...", "can you do..."), or asks how to use a '
    "specific Claude Code feature (eg. implement a hook, write a slash command, or install "
    "an MCP server), use the WebFetch tool to gather information to answer the question "
    "from the Claude Code docs.\n\n# Hooks\nUsers may configure 'hooks', shell commands "
    "that execute in response to events like tool calls, in settings. Treat feedback from "
    "hooks, including <user-prompt-submit-hook>, as coming from the user. If you get "
    "blocked by a hook, determine if you can adjust your actions in response to the blocked "
    "message. If not, ask the user to check their hooks configuration.\n"
)

_SYSTEM_ENV = (
    "\nHere is useful information about the environment you are running in:\n<env>\n"
    "Working directory: /home/dev/projects/webshop\nIs directory a git repo: Yes\n"
    "Platform: linux\nOS Version: Linux 6.8.0-49-generic\nToday's date: 2026-03-14\n</env>\n"
    "You are powered by the model named Opus 4.8. The exact model ID is claude-opus-4-8.\n\n"
    "gitStatus: This is the git status at the start of the conversation. Note that this "
    "status is a snapshot in time, and will not update during the conversation.\n"
    "Current branch: feature/checkout-retry\n\nMain branch (you will usually use this for "
    "PRs): main\n\nStatus:\nM src/checkout/payment.ts\nM src/checkout/retry.ts\n"
    "?? src/checkout/retry.test.ts\n\nRecent commits:\n"
    "9f2c1e4 Retry idempotent payment calls with jittered backoff\n"
    "1b7d0a2 Move checkout state machine into its own module\n"
    "c4e8f91 Bump typescript to 5.9 and fix strict null checks\n"
    "77aa3d0 Add order summary e2e test\n"
    "e03b5c6 Cache shipping quotes per cart for 60 seconds\n"
)

_USER_CONTEXT = (
    "<system-reminder>\nAs you answer the user's questions, you can use the following "
    "context:\n# claudeMd\nCodebase and user instructions are shown below. Be sure to adhere "
    "to these instructions. IMPORTANT: These instructions OVERRIDE any default behavior and "
    "you MUST follow them exactly as written.\n\nContents of /home/dev/projects/webshop/"
    "CLAUDE.md (project instructions, checked into the codebase):\n\n# webshop\n\n"
    "TypeScript monorepo: `apps/web` (Next.js), `apps/api` (Fastify), `packages/*` shared "
    "code. Node 22, pnpm 10.\n\n## Commands\n- `pnpm install` then `pnpm -r build`\n"
    "- Tests: `pnpm test` (vitest), one file: `pnpm vitest run path/to/file.test.ts`\n"
    "- Lint and types: `pnpm lint && pnpm typecheck` before every commit\n"
    "- Local stack: `docker compose up -d db redis` then `pnpm dev`\n\n## Conventions\n"
    "- Money is integer cents (`Cents` branded type), never floats.\n- Every external call "
    "goes through `packages/http` (timeouts, retries, tracing); never call fetch directly.\n"
    "- Errors: return `Result<T, AppError>` from services; throw only in route handlers.\n"
    "- Tests next to the code (`*.test.ts`); integration tests in `apps/api/test/`.\n"
    "- Commit messages: imperative mood, explain why.\n\n## Architecture notes\nCheckout is "
    "a state machine (`src/checkout/machine.ts`): cart -> address -> shipping -> payment -> "
    "confirmed. Payment calls are idempotent by `order_id` + `attempt`; the provider "
    "returns 409 on a replay, which we treat as success.\n\n"
    "      IMPORTANT: this context may or may not be relevant to your tasks. You should not "
    "respond to this context unless it is highly relevant to your task.\n"
    "</system-reminder>\n"
)

_USER_PROMPT = (
    "The retry logic in src/checkout/retry.ts retries non-idempotent calls too. Restrict it "
    "to calls marked idempotent, add tests for both cases, and run the checkout test suite."
)


def _ids() -> tuple[str, str, str]:
    device = hashlib.sha256(b"cc-relay bench device").hexdigest()
    session = str(uuid.UUID(hashlib.md5(b"cc-relay bench session").hexdigest()))
    account = str(uuid.UUID(hashlib.md5(b"cc-relay bench account").hexdigest()))
    return device, account, session


SESSION_ID = _ids()[2]


def _tool(
    name: str, description: str, properties: dict[str, Any], required: tuple[str, ...]
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    schema["$schema"] = _SCHEMA
    return {"name": name, "description": description, "input_schema": schema}


def _padded(index: int, base: str, extra: int) -> str:
    """``base`` plus deterministic usage notes, about ``extra`` characters of them."""
    if extra <= 0:
        return base
    lines = ["\n\nUsage notes:"]
    size = len(lines[0])
    k = 0
    while size < extra:
        note = _NOTES[(index * 7 + k * 5) % len(_NOTES)]
        line = f"\n- {note}"
        lines.append(line)
        size += len(line)
        k += 1
    return base + "".join(lines)


def _assemble(padding: int, *, stream: bool) -> dict[str, Any]:
    device, account, session = _ids()
    tools = [
        _tool(name, _padded(i, desc, int(padding * share)), props, req)
        for i, (name, desc, props, req, share) in enumerate(_TOOLS)
    ]
    return {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": _USER_CONTEXT},
                    {"type": "text", "text": _USER_PROMPT, "cache_control": {"type": "ephemeral"}},
                ],
            }
        ],
        "system": [
            {"type": "text", "text": _SYSTEM_IDENTITY, "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": _SYSTEM_MAIN},
            {"type": "text", "text": _SYSTEM_ENV, "cache_control": {"type": "ephemeral"}},
        ],
        "tools": tools,
        "metadata": {
            "user_id": orjson.dumps(
                {"device_id": device, "account_uuid": account, "session_id": session}
            ).decode()
        },
        "max_tokens": 64000,
        "thinking": {"type": "adaptive"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
        "stream": stream,
    }


def build_body(*, stream: bool = True, target: int = TARGET_BYTES) -> dict[str, Any]:
    """The request body as a dict, its compact JSON about ``target`` bytes long."""
    base = len(orjson.dumps(_assemble(0, stream=stream)))
    padding = max(0, target - base)
    # Padding goes in whole sentences, so settle the total in a few rounds.
    for _ in range(4):
        size = len(orjson.dumps(_assemble(padding, stream=stream)))
        if abs(size - target) < target // 200:
            break
        padding = max(0, padding + (target - size))
    return _assemble(padding, stream=stream)


def body_bytes(*, stream: bool = True, target: int = TARGET_BYTES) -> bytes:
    """The body as Claude Code sends it: compact JSON."""
    return orjson.dumps(build_body(stream=stream, target=target))


def headers(*, stream: bool = True) -> dict[str, str]:
    """Request headers as Claude Code 2.1.197 sends them (the key is a dummy)."""
    return {
        "accept": "application/json",
        "anthropic-beta": "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,"
        "context-management-2025-06-27,fine-grained-tool-streaming-2025-05-14",
        "anthropic-dangerous-direct-browser-access": "true",
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
        "user-agent": "claude-cli/2.1.197 (external, cli)",
        "x-api-key": "sk-ant-api03-bench-client-key-not-a-real-one-0000000000000000",
        "x-app": "cli",
        "x-claude-code-session-id": SESSION_ID,
        "x-stainless-arch": "x64",
        "x-stainless-helper-method": "stream" if stream else "create",
        "x-stainless-lang": "js",
        "x-stainless-os": "Linux",
        "x-stainless-package-version": "0.70.0",
        "x-stainless-retry-count": "0",
        "x-stainless-runtime": "node",
        "x-stainless-runtime-version": "v20.19.2",
        "x-stainless-timeout": "600",
    }


def main() -> None:
    body = build_body()
    raw = orjson.dumps(body)
    system = sum(len(block["text"]) for block in body["system"])
    tools = len(orjson.dumps(body["tools"]))
    print(
        f"{len(raw):,} bytes: system {system:,} chars in {len(body['system'])} blocks, "
        f"{len(body['tools'])} tools ({tools:,} bytes), "
        f"{len(body['messages'])} message(s), sha256 {hashlib.sha256(raw).hexdigest()[:12]}"
    )


if __name__ == "__main__":
    main()
